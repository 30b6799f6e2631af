// The run's report is written by evaluate, before the run ends: the stages' times, and the
// metrics of user stages that run after evaluate, are known only at the end. The report holds a
// marked section for them, filled in when the run ends (and left saying so if it never does).
import { readFile } from 'node:fs/promises';
import type { RunRecord } from '../engine/state/run-record.js';
import { escapeHtml } from '../shared/escape-html.js';
import { formatUsd } from '../shared/price-table.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';
import { recordedCost } from './run-cost.js';

const START = '<!-- pipeline:run-end -->';
const END = '<!-- /pipeline:run-end -->';

/** The section evaluate writes into the report: a placeholder until the run ends. */
export const RUN_END_SECTION = `<section><h2>Stages</h2>${START}<p class="muted">Filled in when the run ends; this run did not get there.</p>${END}</section>`;

const seconds = (ms: number | undefined): string =>
  ms === undefined ? '' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;

/** Each stage's part in the run and its time, then the metrics the user stages wrote. */
export function runEndHtml(record: RunRecord): string {
  const rows = Object.entries(record.stages).map(([name, stage]) => {
    const kind = stage.outputs?.kind;
    const what = typeof kind === 'string' ? `${name} <span class="muted">(${escapeHtml(kind)})</span>` : name;
    return `<tr><td>${what}</td><td>${escapeHtml(stage.action)}</td><td>${seconds(stage.durationMs)}</td></tr>`;
  });
  const userMetrics = Object.entries(record.stages).flatMap(([name, stage]) => {
    const metrics = stage.outputs?.userMetrics;
    if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) return [];
    return Object.entries(metrics).map(
      ([metric, value]) =>
        `<tr><td>${escapeHtml(metric)}</td><td>${escapeHtml(String(value))}</td><td>${escapeHtml(name)}</td></tr>`,
    );
  });
  const cost = recordedCost(record);
  return [
    `<table><thead><tr><th>stage</th><th>in this run</th><th>time</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
    `<p class="muted">The run ${escapeHtml(record.status)} in ${seconds(record.durationMs)}.</p>`,
    ...(cost ? [costHtml(cost)] : []),
    ...(userMetrics.length > 0
      ? [
          `<h2 style="margin-top:16px">Metrics of your stages</h2><table><thead><tr><th>metric</th><th>value</th><th>stage</th></tr></thead><tbody>${userMetrics.join('')}</tbody></table>`,
        ]
      : []),
  ].join('');
}

function costHtml(cost: NonNullable<ReturnType<typeof recordedCost>>): string {
  const rows = Object.entries(cost.jobs).map(
    ([stage, job]) =>
      `<tr><td>${escapeHtml(stage)}</td><td>${job.instances} × ${escapeHtml(job.instanceType)} (${job.use})</td><td>${job.seconds} s</td><td>${job.usd === undefined ? 'no price' : formatUsd(job.usd)}</td></tr>`,
  );
  const endpoint =
    cost.endpoint?.usdPerDay !== undefined
      ? `<p>The endpoint: ${cost.endpoint.instances} × ${escapeHtml(cost.endpoint.instanceType)}, ${formatUsd(cost.endpoint.usdPerDay)} per day.</p>`
      : '';
  return [
    `<h2 style="margin-top:16px">Cost</h2>`,
    rows.length > 0
      ? `<table><thead><tr><th>job</th><th>instances</th><th>billed</th><th>USD</th></tr></thead><tbody>${rows.join('')}</tbody></table><p>Jobs: <b>${formatUsd(cost.jobsUsd)}</b>${cost.projectedWorstUsd !== undefined ? ` (at most ${formatUsd(cost.projectedWorstUsd)} projected)` : ''}.</p>`
      : '<p>No job billed in this run.</p>',
    endpoint,
    `<p class="muted">On demand in ${escapeHtml(cost.region)}, at the prices of ${escapeHtml(cost.prices.retrievedAt.slice(0, 10))} (${escapeHtml(cost.prices.source)}).</p>`,
  ].join('');
}

/** The Markdown summary's cost section, marked so a summary is completed once. */
const SUMMARY_COST = '<!-- pipeline:cost -->';

export function costMarkdown(record: RunRecord): string | undefined {
  const cost = recordedCost(record);
  if (!cost) return undefined;
  const lines = [SUMMARY_COST, '', '### Cost', ''];
  const jobs = Object.entries(cost.jobs);
  if (jobs.length > 0) {
    lines.push('| job | instances | billed | USD |', '|---|---|---|---|');
    for (const [stage, job] of jobs)
      lines.push(
        `| ${stage} | ${job.instances} × ${job.instanceType} (${job.use}) | ${job.seconds} s | ${job.usd === undefined ? 'no price' : formatUsd(job.usd)} |`,
      );
    lines.push(
      '',
      `Jobs: **${formatUsd(cost.jobsUsd)}**${cost.projectedWorstUsd !== undefined ? ` (at most ${formatUsd(cost.projectedWorstUsd)} projected)` : ''}.`,
    );
  } else lines.push('No job billed in this run.');
  if (cost.endpoint?.usdPerDay !== undefined)
    lines.push(
      '',
      `Endpoint: ${cost.endpoint.instances} × ${cost.endpoint.instanceType}, ${formatUsd(cost.endpoint.usdPerDay)} per day.`,
    );
  lines.push('', `On demand in ${cost.region}, prices of ${cost.prices.retrievedAt.slice(0, 10)}.`);
  return `${lines.join('\n')}\n`;
}

/** Appends the cost to the run's summary.md (once); a run without a summary or a cost is left as it is. */
export async function completeSummary(summaryFile: string, record: RunRecord): Promise<boolean> {
  const markdown = await readFile(summaryFile, 'utf8').catch(() => undefined);
  const cost = costMarkdown(record);
  if (markdown === undefined || !cost || markdown.includes(SUMMARY_COST)) return false;
  await writeFileAtomic(summaryFile, `${markdown.trimEnd()}\n\n${cost}`);
  return true;
}

/** Fills the report's run-end section from the run's final record; a report without one is left as it is. */
export async function completeReport(reportFile: string, record: RunRecord): Promise<boolean> {
  const html = await readFile(reportFile, 'utf8').catch(() => undefined);
  const start = html?.indexOf(START) ?? -1;
  const end = html?.indexOf(END) ?? -1;
  if (html === undefined || start === -1 || end < start) return false;
  await writeFileAtomic(
    reportFile,
    `${html.slice(0, start + START.length)}${runEndHtml(record)}${html.slice(end)}`,
  );
  return true;
}
