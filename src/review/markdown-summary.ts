// The run's summary in Markdown, fit to post as a pull-request comment: the gates, the metrics
// with their change since the previous run, and the settings that changed.

import type { GateResult } from './gates.js';
import { changeTone } from './metric-direction.js';
import type { PreviousEvaluation } from './previous-evaluation.js';
import { type TuningSummary, tuningMarkdown } from './tuning-review.js';

export interface SummaryInput {
  pipeline: string;
  runId: string;
  flat: Record<string, number>;
  /** The latest earlier run that evaluated: its metrics, and the settings changed since. */
  previous?: PreviousEvaluation;
  gates: GateResult[];
  jobName?: string;
  /** deploy.strategy gated: the serving model's metrics on the same rows. */
  champion?: Record<string, number>;
  /** The tuning job train ran, when it tuned: its best trial and its winning hyperparameters. */
  tuning?: TuningSummary;
}

const fixed = (value: number): string => value.toFixed(4);
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;
/** A value as a table cell: code, with pipes escaped and fenced past any backticks it holds. */
const cell = (value: unknown): string => {
  if (value === undefined) return '—';
  const text = JSON.stringify(value).replaceAll('|', '\\|');
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ' ' : ''}${text}${fence === '``' ? ' ' : ''}${fence}`;
};

/** Markdown has no colour: a change that is better or worse says so (metric-direction.ts). */
function toneMark(name: string, change: number): string {
  const tone = changeTone(name, change);
  return tone === 'better' ? ' 🟢 better' : tone === 'worse' ? ' 🔴 worse' : '';
}

export function renderMarkdownSummary(input: SummaryInput): string {
  const missed = input.gates.filter((gate) => !gate.passed);
  const verdict =
    input.gates.length === 0
      ? ''
      : missed.length === 0
        ? ' ✅ gates passed'
        : ` ❌ ${missed.length} gate(s) missed`;
  const lines = [`### ${input.pipeline}: run \`${input.runId}\`${verdict}`, ''];
  if (input.jobName) lines.push(`Training job \`${input.jobName}\`.`, '');
  const { champion } = input;
  lines.push(
    champion
      ? '| metric | candidate | champion | against it | previous | change |'
      : '| metric | this run | previous | change |',
    champion ? '| --- | ---: | ---: | ---: | ---: | ---: |' : '| --- | ---: | ---: | ---: |',
  );
  const compared = (metric: string, value: number, base: number | undefined) =>
    base === undefined ? '—' : `${signed(value - base)}${toneMark(metric, value - base)}`;
  for (const [metric, value] of Object.entries(input.flat)) {
    if (metric.includes('.')) continue;
    const before = input.previous?.metrics[metric];
    const championCells = champion
      ? ` ${champion[metric] === undefined ? '—' : fixed(champion[metric] as number)} | ${compared(metric, value, champion[metric])} |`
      : '';
    lines.push(
      `| ${metric} | ${fixed(value)} |${championCells} ${before === undefined ? '—' : fixed(before)} | ${compared(metric, value, before)} |`,
    );
  }
  if (input.gates.length > 0) {
    lines.push('', '**Gates**', '');
    for (const gate of input.gates) {
      lines.push(
        gate.skipped
          ? `- ⚪ \`${gate.gate}\`: skipped, ${gate.skipped}`
          : `- ${gate.passed ? '✅' : '❌'} \`${gate.gate}\`: ${gate.value === null ? 'unknown metric' : fixed(gate.value)}${gate.relative && !Number.isNaN(gate.threshold) ? ` (against ${fixed(gate.threshold)})` : ''}`,
      );
    }
  }
  lines.push('', '**Changed since the previous run**', '');
  const { previous } = input;
  if (previous)
    lines.push(
      `Compared with run \`${previous.runId}\`${previous.outcome === 'passed' ? '' : ` (${previous.outcome})`}, the latest earlier run that evaluated.`,
      '',
    );
  const changed = previous?.changes ?? [];
  if (changed.length === 0) lines.push(previous ? 'No setting changed.' : 'No earlier run evaluated.');
  else {
    lines.push('| setting | before | now |', '| --- | --- | --- |');
    for (const change of changed)
      lines.push(`| \`${change.path}\` | ${cell(change.before)} | ${cell(change.after)} |`);
  }
  if (input.tuning) lines.push('', tuningMarkdown(input.tuning));
  return `${lines.join('\n')}\n`;
}
