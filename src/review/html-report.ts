// The run's report as one self-contained HTML file (inline CSS and SVG, no script, no network):
// the gates, the metrics with their change since the previous run, the confusion matrix as a heat
// map, the training curves, and per-class precision, recall and F1 as bars.

import { escapeHtml } from '../shared/escape-html.js';
import type { GateResult } from './gates.js';
import { changeTone } from './metric-direction.js';
import type { Metrics } from './metrics.js';
import type { PreviousEvaluation } from './previous-evaluation.js';
import type { RegressionMetrics } from './regression-metrics.js';
import { RUN_END_SECTION } from './stage-times.js';
import type { Curves } from './training-curves.js';
import { type TuningSummary, tuningHtml } from './tuning-review.js';

export interface ReportInput {
  pipeline: string;
  runId: string;
  target: string;
  createdAt: string;
  git?: { commit: string; dirty?: boolean };
  jobName?: string;
  metrics: Metrics | RegressionMetrics;
  flat: Record<string, number>;
  /** The latest earlier run that evaluated: its metrics, and the settings changed since. */
  previous?: PreviousEvaluation;
  gates: GateResult[];
  curves: Curves;
  /** deploy.strategy gated: the serving model's metrics on the same rows, shown beside the candidate's. */
  champion?: Record<string, number>;
  /** The tuning job train ran, when it tuned. */
  tuning?: TuningSummary;
}

const fixed = (value: number, digits = 4): string => value.toFixed(digits);
const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777'];

/** A regression's rows as points, true value across, predicted up, with the line of a perfect fit. */
export function scatterSvg(metrics: RegressionMetrics): string {
  const size = 360;
  const margin = 48;
  const values = metrics.pairs.flat();
  const low = Math.min(...values, 0);
  const high = Math.max(...values, low + 1);
  const at = (value: number): number => margin + ((value - low) / (high - low)) * (size - 2 * margin);
  const points = metrics.pairs
    .map(
      ([truth, predicted]) =>
        `<circle cx="${fixed(at(truth), 1)}" cy="${fixed(size - at(predicted), 1)}" r="3" fill="${PALETTE[0]}" fill-opacity="0.6"><title>true ${truth}, predicted ${predicted}</title></circle>`,
    )
    .join('');
  return `<svg class="chart" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="predicted against true values">
<line class="grid" x1="${at(low)}" y1="${size - at(low)}" x2="${at(high)}" y2="${size - at(high)}"/>
${points}
<text x="${size / 2}" y="${size - 8}" text-anchor="middle" class="axis-title">true</text>
<text x="14" y="${size / 2}" text-anchor="middle" class="axis-title" transform="rotate(-90 14 ${size / 2})">predicted</text>
<text x="${margin}" y="${size - margin + 16}">${fixed(low, 2)}</text><text x="${size - margin}" y="${size - margin + 16}" text-anchor="end">${fixed(high, 2)}</text>
</svg>`;
}

/** The confusion matrix: a cell per (true, predicted) pair, darker for more rows. */
export function confusionSvg(metrics: Metrics): string {
  const n = metrics.classes.length;
  const cell = Math.max(36, Math.min(80, Math.floor(360 / n)));
  const left = 90;
  const top = 40;
  const max = Math.max(1, ...metrics.confusion.flat());
  const cells: string[] = [];
  metrics.confusion.forEach((row, t) => {
    row.forEach((count, p) => {
      const intensity = count / max;
      const fill = `rgba(37, 99, 235, ${(0.06 + 0.94 * intensity).toFixed(3)})`;
      const x = left + p * cell;
      const y = top + t * cell;
      cells.push(
        `<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff"><title>true ${escapeHtml(metrics.classes[t] ?? '')}, predicted ${escapeHtml(metrics.classes[p] ?? '')}: ${count}</title></rect>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 5}" text-anchor="middle" class="${intensity > 0.5 ? 'on-dark' : ''}">${count}</text>`,
      );
    });
  });
  const labels = metrics.classes.flatMap((name, i) => [
    `<text x="${left + i * cell + cell / 2}" y="${top - 8}" text-anchor="middle">${escapeHtml(name)}</text>`,
    `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 5}" text-anchor="end">${escapeHtml(name)}</text>`,
  ]);
  const width = left + n * cell + 20;
  const height = top + n * cell + 40;
  return `<svg class="chart confusion" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="confusion matrix">
<text x="${left + (n * cell) / 2}" y="14" text-anchor="middle" class="axis-title">predicted</text>
<text x="14" y="${top + (n * cell) / 2}" text-anchor="middle" class="axis-title" transform="rotate(-90 14 ${top + (n * cell) / 2})">true</text>
${labels.join('\n')}
${cells.join('\n')}
</svg>`;
}

function niceTicks(min: number, max: number, count = 5): number[] {
  if (min === max) return [min];
  const step = (max - min) / (count - 1);
  return Array.from({ length: count }, (_, i) => min + i * step);
}

/** One line chart of several series over epochs. */
export function curvesSvg(title: string, series: Curves): string {
  const names = Object.keys(series);
  const width = 480;
  const height = 260;
  const margin = { left: 56, right: 16, top: 28, bottom: 40 };
  const values = names.flatMap((name) => series[name] ?? []);
  const epochs = Math.max(...names.map((name) => series[name]?.length ?? 0));
  const low = Math.min(...values);
  const high = Math.max(...values);
  const span = high - low || 1;
  const x = (i: number) =>
    margin.left + (epochs <= 1 ? 0 : (i / (epochs - 1)) * (width - margin.left - margin.right));
  const y = (v: number) => margin.top + (1 - (v - low) / span) * (height - margin.top - margin.bottom);
  const ticks = niceTicks(low, high).map(
    (v) =>
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/><text x="${margin.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
  );
  const epochTicks = [...new Set([0, Math.floor((epochs - 1) / 2), epochs - 1])]
    .filter((i) => i >= 0)
    .map(
      (i) =>
        `<text x="${x(i).toFixed(1)}" y="${height - margin.bottom + 16}" text-anchor="middle">${i + 1}</text>`,
    );
  const lines = names.map((name, index) => {
    const points = (series[name] ?? []).map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const color = PALETTE[index % PALETTE.length];
    return `<polyline class="curve" data-metric="${escapeHtml(name)}" points="${points}" fill="none" stroke="${color}" stroke-width="2"${name.startsWith('val_') ? ' stroke-dasharray="6 3"' : ''}/>`;
  });
  const legend = names.map(
    (name, index) =>
      `<g transform="translate(${margin.left + index * 110}, ${height - 4})"><rect width="14" height="4" y="-6" fill="${PALETTE[index % PALETTE.length]}"/><text x="20" y="0">${escapeHtml(name)}</text></g>`,
  );
  return `<svg class="chart curves" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">
<text x="${margin.left}" y="16" class="axis-title">${escapeHtml(title)} by epoch (${epochs} epochs)</text>
${ticks.join('\n')}
${epochTicks.join('\n')}
${lines.join('\n')}
${legend.join('\n')}
</svg>`;
}

/** Per-class precision, recall and F1 as grouped bars on a 0..1 scale. */
export function perClassSvg(metrics: Metrics): string {
  const kinds = ['precision', 'recall', 'f1'] as const;
  const bar = 22;
  const group = bar * kinds.length + 24;
  const margin = { left: 40, top: 20, bottom: 50 };
  const plot = 180;
  // Wide enough for the bars and for the legend under them.
  const width = Math.max(margin.left + group * metrics.perClass.length + 20, margin.left + kinds.length * 90);
  const height = margin.top + plot + margin.bottom;
  const bars = metrics.perClass.flatMap((c, ci) =>
    kinds.map((kind, ki) => {
      const value = c[kind];
      const x = margin.left + ci * group + ki * bar + 12;
      const h = value * plot;
      return `<rect class="bar" data-class="${escapeHtml(c.name)}" data-kind="${kind}" x="${x}" y="${(margin.top + plot - h).toFixed(1)}" width="${bar - 4}" height="${h.toFixed(1)}" fill="${PALETTE[ki]}"><title>${escapeHtml(c.name)} ${kind}: ${fixed(value)}</title></rect>`;
    }),
  );
  const names = metrics.perClass.map(
    (c, ci) =>
      `<text x="${margin.left + ci * group + 12 + (bar * kinds.length) / 2}" y="${margin.top + plot + 16}" text-anchor="middle">${escapeHtml(c.name)}</text>`,
  );
  const axis = [0, 0.5, 1].map(
    (v) =>
      `<line x1="${margin.left}" x2="${width - 10}" y1="${margin.top + plot - v * plot}" y2="${margin.top + plot - v * plot}" class="grid"/><text x="${margin.left - 6}" y="${margin.top + plot - v * plot + 4}" text-anchor="end">${v}</text>`,
  );
  const legend = kinds.map(
    (kind, i) =>
      `<g transform="translate(${margin.left + i * 90}, ${height - 10})"><rect width="12" height="12" y="-10" fill="${PALETTE[i]}"/><text x="18" y="0">${kind}</text></g>`,
  );
  return `<svg class="chart per-class" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="per-class precision, recall and F1">
${axis.join('\n')}
${bars.join('\n')}
${names.join('\n')}
${legend.join('\n')}
</svg>`;
}

/** Which run the changes are measured from, and whether it was a clean baseline. */
function comparedWith(previous: PreviousEvaluation | undefined): string {
  if (!previous) return '';
  const outcome = previous.outcome === 'passed' ? '' : ` (${previous.outcome})`;
  return `<p class="muted">Compared with run ${escapeHtml(previous.runId)}${outcome}, the latest earlier run that evaluated.</p>`;
}

/** A metric's change, green when it is better and red when it is worse (metric-direction.ts). */
function delta(name: string, value: number, previous: number | undefined): string {
  if (previous === undefined) return '<td class="muted">—</td>';
  const change = value - previous;
  const tone = changeTone(name, change);
  const css = tone === 'same' ? 'muted' : tone;
  const words = tone === 'better' || tone === 'worse' ? ` <span class="tone">(${tone})</span>` : '';
  return `<td class="${css}">${change >= 0 ? '+' : ''}${fixed(change)}${words}</td>`;
}

export function renderHtmlReport(input: ReportInput): string {
  const failed = input.gates.filter((gate) => !gate.passed);
  const verdict =
    input.gates.length === 0
      ? '<span class="badge muted">no gates</span>'
      : failed.length === 0
        ? '<span class="badge pass">gates passed</span>'
        : `<span class="badge fail">${failed.length} gate${failed.length > 1 ? 's' : ''} missed</span>`;
  const previousMetrics = input.previous?.metrics;
  const { champion } = input;
  const metricRows = Object.entries(input.flat)
    .filter(([name]) => !name.includes('.'))
    .map(
      ([name, value]) =>
        `<tr><th>${escapeHtml(name)}</th><td>${fixed(value)}</td>${champion ? `<td>${champion[name] !== undefined ? fixed(champion[name] as number) : '—'}</td>${delta(name, value, champion[name])}` : ''}<td class="muted">${previousMetrics?.[name] !== undefined ? fixed(previousMetrics[name] as number) : '—'}</td>${delta(name, value, previousMetrics?.[name])}</tr>`,
    );
  const gateRows = input.gates.map(
    (gate) =>
      `<tr class="${gate.skipped ? 'muted' : gate.passed ? 'pass' : 'fail'}"><td>${gate.skipped ? '○' : gate.passed ? '✔' : '✘'}</td><td><code>${escapeHtml(gate.gate)}</code></td><td>${gate.skipped ? escapeHtml(gate.skipped) : gate.value === null ? 'unknown metric' : `${fixed(gate.value)}${gate.relative && !Number.isNaN(gate.threshold) ? ` <span class="muted">(against ${fixed(gate.threshold)})</span>` : ''}`}</td></tr>`,
  );
  const changeRows = (input.previous?.changes ?? []).map(
    (change) =>
      `<tr><td><code>${escapeHtml(change.path)}</code></td><td>${escapeHtml(JSON.stringify(change.before) ?? '—')}</td><td>${escapeHtml(JSON.stringify(change.after) ?? '—')}</td></tr>`,
  );
  const lossCurves = Object.fromEntries(Object.entries(input.curves).filter(([name]) => /loss/i.test(name)));
  const otherCurves = Object.fromEntries(
    Object.entries(input.curves).filter(([name]) => !/loss/i.test(name)),
  );
  const curveCharts = [
    ...(Object.keys(lossCurves).length > 0 ? [curvesSvg('loss', lossCurves)] : []),
    ...(Object.keys(otherCurves).length > 0 ? [curvesSvg('metrics', otherCurves)] : []),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.pipeline)} · run ${escapeHtml(input.runId)}</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; background: #f9fafb; }
  body { margin: 0 auto; max-width: 1080px; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0 0 12px; }
  .meta { color: #6b7280; font-size: 13px; margin-bottom: 20px; }
  .grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 16px; }
  section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px; margin-bottom: 16px; overflow-x: auto; }
  table { border-collapse: collapse; font-size: 14px; } th, td { padding: 4px 12px 4px 0; text-align: left; }
  th { font-weight: 500; } code { font-size: 13px; }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; }
  .badge.pass, tr.pass td:first-child, .better { color: #047857; } .badge.pass { background: #d1fae5; }
  .badge.fail, tr.fail td:first-child, .worse { color: #b91c1c; } .badge.fail { background: #fee2e2; }
  .muted { color: #9ca3af; } .badge.muted { background: #f3f4f6; }
  svg.chart text { font-size: 12px; fill: #374151; } svg.chart text.on-dark { fill: #fff; }
  svg.chart .axis-title { font-weight: 600; } svg.chart .grid { stroke: #e5e7eb; }
  .warnings { color: #92400e; font-size: 13px; }
  svg.chart .trial { fill: #2563eb; fill-opacity: 0.7; } svg.chart .trial.best { fill: #047857; fill-opacity: 1; }
  table.trials tr.best td { font-weight: 600; color: #047857; } table.trials th[data-sort] { cursor: pointer; text-decoration: underline dotted; }
</style>
</head>
<body>
<h1>${escapeHtml(input.pipeline)} ${verdict}</h1>
<div class="meta">run ${escapeHtml(input.runId)} · target ${escapeHtml(input.target)} · ${escapeHtml(input.createdAt)}${input.git ? ` · commit ${escapeHtml(input.git.commit.slice(0, 12))}${input.git.dirty ? ' (dirty)' : ''}` : ''}${input.jobName ? ` · training job ${escapeHtml(input.jobName)}` : ''} · ${input.metrics.rows} rows</div>
<div class="grid-2">
<section><h2>Metrics</h2><table><thead><tr><th>metric</th><th>${champion ? 'candidate' : 'this run'}</th>${champion ? '<th>champion</th><th>against it</th>' : ''}<th>previous</th><th>change</th></tr></thead><tbody>${metricRows.join('')}</tbody></table></section>
<section><h2>Gates</h2>${gateRows.length > 0 ? `<table><tbody>${gateRows.join('')}</tbody></table>` : '<p class="muted">No gates in evaluate.gates.</p>'}
<h2 style="margin-top:16px">Changed since the previous run</h2>${comparedWith(input.previous)}${changeRows.length > 0 ? `<table><thead><tr><th>setting</th><th>before</th><th>now</th></tr></thead><tbody>${changeRows.join('')}</tbody></table>` : `<p class="muted">${input.previous ? 'No setting changed.' : 'No earlier run evaluated.'}</p>`}</section>
</div>
${
  'kind' in input.metrics
    ? `<section><h2>Predicted against true</h2>${scatterSvg(input.metrics)}</section>`
    : `<div class="grid-2">
<section><h2>Confusion matrix</h2>${confusionSvg(input.metrics)}</section>
<section><h2>Per class</h2>${perClassSvg(input.metrics)}</section>
</div>`
}
${input.tuning ? tuningHtml(input.tuning) : ''}
<section><h2>Training curves</h2>${curveCharts.length > 0 ? `<div class="grid-2">${curveCharts.join('')}</div>` : '<p class="muted">The training log had no lines matching training.metricDefinitions.</p>'}</section>
${input.metrics.warnings.length > 0 ? `<section class="warnings"><h2>Notes</h2><ul>${input.metrics.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></section>` : ''}
${RUN_END_SECTION}
</body>
</html>
`;
}
