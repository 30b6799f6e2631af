// Plain-text views of plans, run records and state, shared by `plan`, `run` and `status`.

import { describeReason, summarizeReasons } from '../../engine/plan/stale-reason.js';
import type { PlannedStage } from '../../engine/run/plan-run.js';
import { describeSkip } from '../../engine/run/run-event.js';
import type { RunRecord } from '../../engine/state/run-record.js';
import type { Headline } from '../../review/headline.js';
import { changeTone } from '../../review/metric-direction.js';
import type { Paint } from '../paint.js';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

const width = (names: readonly string[]): number => Math.max(...names.map((n) => n.length));

/** `pipeline plan`: every stage, run or skip, and every reason (old → new for config). */
export function formatPlan(plan: readonly PlannedStage[], paint: Paint): string {
  const pad = width(plan.map((p) => p.name));
  const lines: string[] = [];
  for (const stage of plan) {
    const name = stage.name.padEnd(pad);
    if (stage.action === 'run') {
      lines.push(
        `  ${paint('yellow', '●')} ${paint('bold', name)}  ${paint('yellow', 'run ')}  ${describeReason(stage.reasons[0] ?? { kind: 'never-ran' })}`,
      );
      for (const reason of stage.reasons.slice(1))
        lines.push(`  ${' '.repeat(pad + 10)}${describeReason(reason)}`);
      if (stage.note) lines.push(`  ${' '.repeat(pad + 10)}${paint('dim', `note: ${stage.note}`)}`);
    } else {
      const why = describeSkip(stage.skip ?? { kind: 'up-to-date' });
      const stale = stage.skip?.kind === 'not-selected' && stage.reasons.length > 0;
      const note = stale ? ` (stale: ${summarizeReasons(stage.reasons, 2)})` : '';
      lines.push(`  ${paint('green', '○')} ${name}  ${paint('dim', 'skip')}  ${paint('dim', why + note)}`);
    }
  }
  const running = plan.filter((p) => p.action === 'run').length;
  lines.push(
    '',
    running === 0
      ? 'Nothing to run: every stage is up to date.'
      : `${running} of ${plan.length} stages to run.`,
  );
  return lines.join('\n');
}

/** The summary after `pipeline run`: what ran, what was skipped and why, what failed. */
export function formatRunSummary(record: RunRecord, paint: Paint): string {
  const names = Object.keys(record.stages);
  const pad = width(names);
  const lines = [`Run ${record.id} ${record.status} in ${formatDuration(record.durationMs)}`];
  for (const name of names) {
    const stage = record.stages[name];
    if (!stage) continue;
    const label = name.padEnd(pad);
    switch (stage.action) {
      case 'ran':
        lines.push(
          `  ${paint('green', '✔')} ${label}  ran in ${formatDuration(stage.durationMs ?? 0)}: ${summarizeReasons(stage.reasons)}`,
        );
        break;
      case 'skipped':
        lines.push(
          `  ${paint('dim', '○')} ${label}  ${paint('dim', `skipped: ${describeSkip(stage.skip ?? { kind: 'up-to-date' })}`)}`,
        );
        break;
      case 'failed':
        lines.push(
          `  ${paint('red', '✖')} ${label}  ${paint('red', `failed after ${formatDuration(stage.durationMs ?? 0)}: ${stage.error}`)}`,
        );
        break;
      case 'interrupted':
        lines.push(
          `  ${paint('yellow', '■')} ${label}  interrupted after ${formatDuration(stage.durationMs ?? 0)}`,
        );
        break;
      case 'not-run':
        lines.push(
          `  ${paint('dim', '·')} ${label}  ${paint('dim', describeSkip(stage.skip ?? { kind: 'up-to-date' }))}`,
        );
        break;
    }
  }
  return lines.join('\n');
}

/**
 * The lines after a run's summary: its headline metrics, each with its change since the run it
 * is compared with (green when better, red when worse), and the report's path.
 */
export function formatHeadline(headline: Headline, paint: Paint, showPath: (file: string) => string): string {
  const previous = headline.previous?.metrics;
  const metrics = headline.metrics.map(([name, value]) => {
    const before = previous?.[name];
    if (before === undefined) return `${name} ${value.toFixed(4)}`;
    const change = value - before;
    const tone = changeTone(name, change);
    const text = `${change >= 0 ? '+' : ''}${change.toFixed(4)}${tone === 'better' || tone === 'worse' ? ` ${tone}` : ''}`;
    return `${name} ${value.toFixed(4)} (${tone === 'better' ? paint('green', text) : tone === 'worse' ? paint('red', text) : text})`;
  });
  const source = !headline.fresh
    ? `evaluate up to date, from run ${headline.runId}`
    : headline.previous
      ? `since run ${headline.previous.runId}${headline.previous.outcome === 'passed' ? '' : ` (${headline.previous.outcome})`}`
      : 'the first evaluation';
  return [
    `Metrics  ${metrics.join(' · ')}  ${paint('dim', `(${source})`)}`,
    `Report   ${showPath(headline.report)}`,
  ].join('\n');
}
