// The run's report is written by evaluate, before the run ends: the stages' times, and the
// metrics of user stages that run after evaluate, are known only at the end. The report holds a
// marked section for them, filled in when the run ends (and left saying so if it never does).
import { readFile } from 'node:fs/promises';
import type { RunRecord } from '../engine/state/run-record.js';
import { escapeHtml } from '../shared/escape-html.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';

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
  return [
    `<table><thead><tr><th>stage</th><th>in this run</th><th>time</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
    `<p class="muted">The run ${escapeHtml(record.status)} in ${seconds(record.durationMs)}.</p>`,
    ...(userMetrics.length > 0
      ? [
          `<h2 style="margin-top:16px">Metrics of your stages</h2><table><thead><tr><th>metric</th><th>value</th><th>stage</th></tr></thead><tbody>${userMetrics.join('')}</tbody></table>`,
        ]
      : []),
  ].join('');
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
