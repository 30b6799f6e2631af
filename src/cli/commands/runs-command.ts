// `pipeline runs`: the experiment history as a table: run id, time, git commit, what changed
// since the run before, key metrics and status. `--json` gives the same rows as data.
import { dirname, resolve } from 'node:path';
import { changes } from '../../review/flatten.js';
import { recordedCost } from '../../review/run-cost.js';
import { paramsOf } from '../../review/run-diff.js';
import { loadRuns, type RunEntry } from '../../review/run-history.js';
import { bestObjective, tuningOf } from '../../review/tuning-review.js';
import { stateDirIn } from '../../shared/pipeline-paths.js';
import { formatUsd } from '../../shared/price-table.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';
import { loadForCommand } from '../open-pipeline.js';
import { painter } from '../paint.js';
import { pullState, stateBackendOf } from '../state-backend-of.js';

export interface ReviewOptions {
  file: string;
  json: boolean;
}

/**
 * .pipeline beside the pipeline file, first brought up to date from the S3 backend when the
 * config names one (so a teammate sees every run CI made); the history stays readable when the
 * config is not valid.
 */
export async function historyDir(options: ReviewOptions, io: CliIo): Promise<string> {
  const stateDir = stateDirIn(dirname(resolve(options.file)));
  const loaded = await loadForCommand({ file: options.file, set: [], json: false, verbose: false }, io, true);
  if (loaded.ok && loaded.value.config.state.backend === 's3')
    await pullState(await stateBackendOf(loaded.value.config, stateDir), io.stderr);
  return stateDir;
}

export const KEY_METRICS = ['accuracy', 'macro_f1'];

/** The columns of metrics: the key ones, then those user stages wrote (a business metric), a few. */
export const metricColumns = (runs: readonly RunEntry[]): string[] => [
  ...KEY_METRICS,
  ...[...new Set(runs.flatMap((run) => Object.keys(run.userMetrics ?? {})))]
    .filter((name) => !KEY_METRICS.includes(name))
    .sort()
    .slice(0, 4),
];

function whatChanged(run: RunEntry, previous: RunEntry | undefined): string {
  if (!previous) return 'first run';
  const changed = changes(paramsOf(previous), paramsOf(run));
  if (changed.length === 0) return '-';
  const [first] = changed;
  const shown = `${first?.path.replace(/^training\.hyperparameters\./, '')}: ${JSON.stringify(first?.before)} → ${JSON.stringify(first?.after)}`;
  return changed.length > 1 ? `${shown} (+${changed.length - 1})` : shown;
}

function tunedOf(run: RunEntry) {
  const tuning = tuningOf(run.record.stages.train?.outputs);
  return tuning
    ? {
        metric: tuning.objective.metric,
        best: bestObjective(tuning) ?? null,
        hyperparameters: tuning.best.hyperparameters,
      }
    : null;
}

/** The best trial in a table cell: its objective and winning values. */
function tunedCell(tuned: ReturnType<typeof tunedOf>): string {
  if (!tuned) return '-';
  const values = Object.entries(tuned.hyperparameters)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const text = `${tuned.best === null ? '?' : tuned.best.toFixed(4)} ${values}`;
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

export function runRows(runs: readonly RunEntry[]) {
  return runs.map((run, index) => ({
    id: run.record.id,
    startedAt: run.record.startedAt,
    commit: run.record.git ? `${run.record.git.commit.slice(0, 8)}${run.record.git.dirty ? '*' : ''}` : null,
    changed: whatChanged(run, runs[index - 1]),
    ran: Object.entries(run.record.stages)
      .filter(([, stage]) => stage.action === 'ran' || stage.action === 'failed')
      .map(([name]) => name),
    metrics: run.metrics ?? null,
    /** A tuning train's best objective and winning hyperparameters; null without tuning. */
    tuned: tunedOf(run),
    /** The jobs' cost in USD at the prices of the run's day; null when it was not priced. */
    costUsd: recordedCost(run.record)?.jobsUsd ?? null,
    status: run.status,
  }));
}

const pad = (rows: string[][]): string[] => {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
};

export async function runsCommand(options: ReviewOptions, io: CliIo): Promise<CliFailure | undefined> {
  const runs = await loadRuns(await historyDir(options, io));
  if (!runs.ok) return { reason: 'damaged-record', record: runs.error };
  const rows = runRows(runs.value);
  if (options.json) {
    writeJson(io.stdout, rows);
    return undefined;
  }
  if (rows.length === 0) {
    writeLine(io.stdout, 'No runs yet: `pipeline run` records one per run.');
    return undefined;
  }
  const paint = painter(Boolean(io.stdout.isTTY), io.env);
  const columns = metricColumns(runs.value);
  // A cost column once a run was priced (a price table existed): no column of dashes before that.
  const priced = rows.some((row) => row.costUsd !== null);
  // A column for the best trial once a run tuned.
  const tunedAny = rows.some((row) => row.tuned !== null);
  const table = pad([
    [
      'RUN',
      'WHEN',
      'COMMIT',
      'CHANGED',
      ...columns.map((m) => m.toUpperCase()),
      ...(tunedAny ? ['TUNED (BEST)'] : []),
      ...(priced ? ['COST'] : []),
      'STATUS',
    ],
    ...rows.map((row) => [
      row.id,
      row.startedAt.replace('T', ' ').slice(0, 19),
      row.commit ?? '-',
      row.changed.length > 48 ? `${row.changed.slice(0, 47)}…` : row.changed,
      ...columns.map((metric) =>
        row.metrics?.[metric] !== undefined ? row.metrics[metric].toFixed(4) : '-',
      ),
      ...(tunedAny ? [tunedCell(row.tuned)] : []),
      ...(priced ? [row.costUsd === null ? '-' : formatUsd(row.costUsd)] : []),
      row.status,
    ]),
  ]);
  writeLine(io.stdout, paint('bold', table[0] ?? ''));
  for (const line of table.slice(1)) writeLine(io.stdout, line);
  return undefined;
}
