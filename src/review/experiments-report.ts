// `pipeline report`: one self-contained HTML page across every run (no script, no network): each
// headline metric over the runs that evaluated, the champion history (which run's model served,
// from when to when), and every run with its status, its metrics and the settings it changed
// since the run before it, linked to its own report.
import { escapeHtml } from '../shared/escape-html.js';
import { formatUsd } from '../shared/price-table.js';
import { type Change, changes } from './flatten.js';
import { HEADLINE_METRICS } from './metric-direction.js';
import { recordedCost } from './run-cost.js';
import { paramsOf } from './run-diff.js';
import { outputsIn, type RunEntry } from './run-history.js';

export interface ExperimentsInput {
  pipeline: string;
  runs: readonly RunEntry[];
  /** Each run's own report, relative to where this page is written, when it has one. */
  reportOf(runId: string): string | undefined;
  createdAt: string;
}

/** A period one model served: from the run that put it there until the next one did. */
export interface Reign {
  runId: string;
  deploymentName: string;
  from: string;
  until?: string;
  /** How it came to serve: replaced the one before, promoted after its gates, or approved. */
  how: string;
}

/** Which run's model served when, from the runs' records (deploy, and evaluate's verdict). */
export function championHistory(runs: readonly RunEntry[]): Reign[] {
  const reigns: Reign[] = [];
  for (const run of runs) {
    const deploy = run.record.stages.deploy;
    if (deploy?.action !== 'ran' || !deploy.outputs) continue;
    const deploymentName = deploy.outputs.deploymentName;
    if (typeof deploymentName !== 'string') continue;
    const verdict = outputsIn(run, 'evaluate')?.verdict;
    const asCandidate = deploy.outputs.champion !== undefined;
    // A candidate serves only once promoted; one rolled back (or never judged) never did.
    if (asCandidate && verdict !== 'promoted') continue;
    const version = deploy.outputs.modelPackageVersion;
    const how = asCandidate
      ? 'promoted after its gates'
      : typeof version === 'number'
        ? `approved version ${version}`
        : reigns.length === 0
          ? 'first deploy'
          : 'replaced the one before';
    const previous = reigns.at(-1);
    if (previous) previous.until = run.record.finishedAt;
    reigns.push({ runId: run.record.id, deploymentName, from: run.record.finishedAt, how });
  }
  return reigns;
}

/** The metrics shown over runs: the headline ones the runs have, then those user stages wrote. */
function chartedMetrics(runs: readonly RunEntry[]): string[] {
  const present = new Set(runs.flatMap((run) => Object.keys(run.metrics ?? {})));
  const user = new Set(runs.flatMap((run) => Object.keys(run.userMetrics ?? {})));
  return [...HEADLINE_METRICS.filter((name) => present.has(name)), ...[...user].sort()];
}

const fixed = (value: number): string => value.toFixed(4);

/** One metric over the runs that have it: a line, each point a link to its run's report. */
function metricChart(
  name: string,
  runs: readonly RunEntry[],
  reportOf: ExperimentsInput['reportOf'],
  pointOf: (run: RunEntry) => number | undefined = (run) => run.metrics?.[name],
): string {
  const points = runs.flatMap((run, index) => {
    const value = pointOf(run);
    return value !== undefined ? [{ run, index, value }] : [];
  });
  const width = 480;
  const height = 220;
  const margin = { left: 56, right: 16, top: 28, bottom: 36 };
  const low = Math.min(...points.map((p) => p.value));
  const high = Math.max(...points.map((p) => p.value));
  const span = high - low || 1;
  const last = Math.max(1, runs.length - 1);
  const x = (index: number) => margin.left + (index / last) * (width - margin.left - margin.right);
  const y = (value: number) =>
    margin.top + (1 - (value - low) / span) * (height - margin.top - margin.bottom);
  const line = points.map((p) => `${x(p.index).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const dots = points.map((p) => {
    const dot = `<circle class="point" cx="${x(p.index).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="4"><title>${escapeHtml(p.run.record.id)}: ${fixed(p.value)}</title></circle>`;
    const report = reportOf(p.run.record.id);
    return report ? `<a href="${escapeHtml(report)}">${dot}</a>` : dot;
  });
  return `<svg class="chart" role="img" aria-label="${escapeHtml(name)} over runs" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<text class="axis-title" x="${margin.left}" y="16">${escapeHtml(name)}</text>
<text x="${margin.left - 6}" y="${y(high) + 4}" text-anchor="end">${fixed(high)}</text>
<text x="${margin.left - 6}" y="${y(low) + 4}" text-anchor="end">${fixed(low)}</text>
<text x="${width - margin.right}" y="${height - 10}" text-anchor="end">runs, oldest first</text>
<polyline fill="none" stroke="#2563eb" stroke-width="2" points="${line}"/>
${dots.join('\n')}
</svg>`;
}

const shownChange = (change: Change): string =>
  `<code>${escapeHtml(change.path.replace(/^training\.hyperparameters\./, ''))}</code> ${escapeHtml(JSON.stringify(change.before) ?? '—')} → ${escapeHtml(JSON.stringify(change.after) ?? '—')}`;

export function renderExperimentsReport(input: ExperimentsInput): string {
  const { runs } = input;
  const metrics = chartedMetrics(runs);
  const costOf = (run: RunEntry) => recordedCost(run.record)?.jobsUsd;
  // Cost per run beside the metrics: what each experiment's jobs were billed (runs that were priced).
  const charts = [
    ...metrics.map((name) => metricChart(name, runs, input.reportOf)),
    metricChart('cost of the jobs (USD)', runs, input.reportOf, costOf),
  ].filter((chart) => chart.includes('class="point"'));
  const priced = runs.some((run) => costOf(run) !== undefined);
  const reigns = championHistory(runs);
  const link = (runId: string) => {
    const report = input.reportOf(runId);
    return report ? `<a href="${escapeHtml(report)}">${escapeHtml(runId)}</a>` : escapeHtml(runId);
  };
  const reignRows = reigns.map(
    (reign) =>
      `<tr><td>${link(reign.runId)}</td><td><code>${escapeHtml(reign.deploymentName)}</code></td><td>${escapeHtml(reign.from)}</td><td>${reign.until ? escapeHtml(reign.until) : '<strong>serving</strong>'}</td><td>${escapeHtml(reign.how)}</td></tr>`,
  );
  const runRows = [...runs].reverse().map((run) => {
    const index = runs.indexOf(run);
    const before = runs[index - 1];
    const changed = before ? changes(paramsOf(before), paramsOf(run)) : [];
    const cells = metrics.map((name) =>
      run.metrics?.[name] !== undefined
        ? `<td>${fixed(run.metrics[name] as number)}</td>`
        : '<td class="muted">—</td>',
    );
    const gates =
      run.gatesPassed === undefined
        ? ''
        : run.gatesPassed
          ? ' <span class="pass">gates passed</span>'
          : ' <span class="fail">gates missed</span>';
    const cost = costOf(run);
    const costCell = priced
      ? cost === undefined
        ? '<td class="muted">—</td>'
        : `<td>${formatUsd(cost)}</td>`
      : '';
    return `<tr><td>${link(run.record.id)}</td><td>${escapeHtml(run.record.startedAt.replace('T', ' ').slice(0, 19))}</td><td>${escapeHtml(run.status)}${gates}</td><td>${run.record.git ? `<code>${escapeHtml(run.record.git.commit.slice(0, 8))}</code>` : '—'}</td>${cells.join('')}${costCell}<td>${before ? (changed.length > 0 ? changed.map(shownChange).join('<br>') : '<span class="muted">nothing</span>') : '<span class="muted">first run</span>'}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.pipeline)}: experiments</title>
<style>
  body { font: 14px/1.5 system-ui, sans-serif; color: #111827; margin: 24px; max-width: 1200px; }
  h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
  .meta { color: #6b7280; }
  table { border-collapse: collapse; margin-top: 8px; }
  th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; vertical-align: top; }
  th { font-weight: 500; } code { font-size: 13px; }
  .muted { color: #9ca3af; } .pass { color: #047857; } .fail { color: #b91c1c; }
  .charts { display: flex; flex-wrap: wrap; gap: 16px; }
  svg.chart text { font-size: 12px; fill: #374151; } svg.chart .axis-title { font-weight: 600; }
  svg.chart .point { fill: #2563eb; }
</style>
</head>
<body>
<h1>${escapeHtml(input.pipeline)}: ${runs.length} run${runs.length === 1 ? '' : 's'}</h1>
<div class="meta">made ${escapeHtml(input.createdAt)} by <code>pipeline report</code>; each run links to its own report</div>
<h2>Metrics over runs</h2>
${charts.length > 0 ? `<div class="charts">${charts.join('\n')}</div>` : '<p class="muted">No run has evaluated yet.</p>'}
<h2>Which model served when</h2>
${reignRows.length > 0 ? `<table><thead><tr><th>run</th><th>deployment</th><th>from</th><th>until</th><th>how</th></tr></thead><tbody>${reignRows.join('')}</tbody></table>` : '<p class="muted">No run has deployed yet.</p>'}
<h2>Runs, newest first</h2>
<table><thead><tr><th>run</th><th>started</th><th>status</th><th>commit</th>${metrics.map((name) => `<th>${escapeHtml(name)}</th>`).join('')}${priced ? '<th>cost (USD)</th>' : ''}<th>changed since the run before</th></tr></thead><tbody>${runRows.join('')}</tbody></table>
</body>
</html>
`;
}
