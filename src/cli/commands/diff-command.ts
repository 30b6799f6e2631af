// `pipeline diff [A] [B]`: what differs between two runs (by default the last two): settings,
// data fingerprints, image, jobs and metrics with deltas.
import type { Change } from '../../review/flatten.js';
import type { ChangeTone } from '../../review/metric-direction.js';
import { diffRuns } from '../../review/run-diff.js';
import { findRun, loadRuns } from '../../review/run-history.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';
import { painter } from '../paint.js';
import { historyDir, type ReviewOptions } from './runs-command.js';

const show = (value: unknown): string =>
  value === undefined ? '-' : typeof value === 'string' ? value : JSON.stringify(value);

function section(title: string, list: Change[], empty: string): string[] {
  if (list.length === 0) return [`${title}: ${empty}`];
  return [`${title}:`, ...list.map((c) => `  ${c.path}: ${show(c.before)} → ${show(c.after)}`)];
}

export async function diffCommand(
  refs: string[],
  options: ReviewOptions,
  io: CliIo,
): Promise<CliFailure | undefined> {
  const loaded = await loadRuns(await historyDir(options, io));
  if (!loaded.ok) return { reason: 'damaged-record', record: loaded.error };
  const runs = loaded.value;
  if (refs.length === 1) return { reason: 'usage', message: 'give two runs, or none for the last two' };
  const [refA = 'last~1', refB = 'last'] = refs;
  const a = findRun(runs, refA);
  if (!a.ok) return { reason: 'usage', message: a.message };
  const b = findRun(runs, refB);
  if (!b.ok) return { reason: 'usage', message: b.message };
  const diff = diffRuns(a.run, b.run);
  if (options.json) {
    writeJson(io.stdout, diff);
    return undefined;
  }
  const paint = painter(Boolean(io.stdout.isTTY), io.env);
  const toned = (tone: ChangeTone | null, text: string) =>
    tone === 'better' ? paint('green', text) : tone === 'worse' ? paint('red', text) : text;
  const lines = [
    `Run ${diff.a} → ${diff.b}`,
    '',
    ...section('Settings', diff.params, 'the same'),
    ...section('Data', diff.data, 'the same'),
    ...section('Image', diff.image, 'the same'),
    'Jobs:',
    ...diff.jobs.map(
      (c) => `  ${c.path}: ${show(c.before)}${c.before === c.after ? ' (same)' : ` → ${show(c.after)}`}`,
    ),
    ...(diff.tuning.length > 0 ? section('Tuning', diff.tuning, 'the same') : []),
    // Once either run was priced.
    ...(diff.cost.some((c) => c.before !== undefined || c.after !== undefined)
      ? [
          'Cost (USD):',
          ...diff.cost.map(
            (c) =>
              `  ${c.path}: ${show(c.before)}${c.before === c.after ? ' (same)' : ` → ${show(c.after)}`}`,
          ),
        ]
      : []),
    'Metrics:',
    ...(diff.metrics.length === 0
      ? ['  neither run evaluated']
      : diff.metrics.map(
          (m) =>
            `  ${m.metric.padEnd(20)} ${m.a === null ? '-' : m.a.toFixed(4)} → ${m.b === null ? '-' : m.b.toFixed(4)}${m.delta === null ? '' : `  ${toned(m.tone, `(${m.delta >= 0 ? '+' : ''}${m.delta.toFixed(4)}${m.tone === 'better' || m.tone === 'worse' ? `, ${m.tone}` : ''})`)}`}`,
        )),
  ];
  writeLine(io.stdout, lines.join('\n'));
  return undefined;
}
