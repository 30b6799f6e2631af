// What differs between two runs: settings leaf by leaf, data fingerprints, the image, the jobs
// and endpoint deployments, and the metrics with their deltas.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import type { JsonValue } from '../engine/stage.js';
import { experimentParams } from './experiment-params.js';
import { type Change, changes } from './flatten.js';
import { type ChangeTone, changeTone } from './metric-direction.js';
import { recordedCost } from './run-cost.js';
import { outputsIn, type RunEntry } from './run-history.js';
import { bestObjective, tuningOf } from './tuning-review.js';

export interface MetricDelta {
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  /** Whether the change is better or worse, by the metric's direction (metric-direction.ts). */
  tone: ChangeTone | null;
}

export interface RunDiff {
  a: string;
  b: string;
  params: Change[];
  data: Change[];
  image: Change[];
  jobs: Change[];
  /** What each run's jobs cost and its endpoint per day, at the prices recorded with it. */
  cost: Change[];
  /** A tuning train: the best objective and the winning hyperparameters of each run. */
  tuning: Change[];
  metrics: MetricDelta[];
}

/** The settings of a run, without the environments block (its chosen overlay is applied already). */
export const paramsOf = (run: RunEntry): Record<string, unknown> =>
  experimentParams(run.record.config as PipelineConfig);

function pick(
  run: RunEntry,
  fields: Record<string, [stage: string, path: string[]]>,
): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const [name, [stage, path]] of Object.entries(fields)) {
    let value: JsonValue | undefined = outputsIn(run, stage);
    for (const key of path) {
      value =
        value && typeof value === 'object' && !Array.isArray(value)
          ? (value as Record<string, JsonValue>)[key]
          : undefined;
    }
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** The user stages' records of a run: each with its kind, outs and job, as the stage recorded them. */
function userStagesIn(
  run: RunEntry,
): [string, { kind: string; outs: Record<string, UserOut>; jobName?: string }][] {
  return Object.entries(run.record.stages).flatMap(([name, stage]) => {
    const outputs = stage.outputs as { kind?: unknown; outs?: unknown; jobName?: unknown } | undefined;
    if ((outputs?.kind !== 'command' && outputs?.kind !== 'processing') || typeof outputs.outs !== 'object')
      return [];
    return [
      [
        name,
        {
          kind: outputs.kind,
          outs: (outputs.outs ?? {}) as Record<string, UserOut>,
          ...(typeof outputs.jobName === 'string' ? { jobName: outputs.jobName } : {}),
        },
      ],
    ];
  });
}
type UserOut = { path?: string; s3Uri?: string; hash?: string };

/** The data of a run: each uploaded channel, and each out of a user stage (where it is, what it held). */
function dataOf(run: RunEntry): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const channels = outputsIn(run, 'upload')?.channels;
  if (channels && typeof channels === 'object' && !Array.isArray(channels))
    for (const [name, channel] of Object.entries(
      channels as Record<string, { contentHash?: string; s3Uri?: string }>,
    ))
      data[`data.${name}`] = `${channel.s3Uri ?? '?'} ${channel.contentHash ?? ''}`.trim();
  for (const [stage, { outs }] of userStagesIn(run))
    for (const [out, made] of Object.entries(outs))
      data[`${stage}.${out}`] = `${made.path ?? made.s3Uri ?? '?'} ${made.hash ?? ''}`.trim();
  return data;
}

/** The processing jobs of a run's user stages, by `STAGE.jobName`. */
const userJobsOf = (run: RunEntry): Record<string, unknown> =>
  Object.fromEntries(
    userStagesIn(run).flatMap(([stage, { jobName }]) => (jobName ? [[`${stage}.jobName`, jobName]] : [])),
  );

const IMAGE = {
  'build.imageId': ['build', ['imageId']],
  'build.contentHash': ['build', ['contentHash']],
  'push.imageUri': ['push', ['imageUri']],
} as Record<string, [string, string[]]>;
const JOBS = {
  'train.jobName': ['train', ['jobName']],
  'train.modelArtifact': ['train', ['modelArtifact']],
  'deploy.endpointName': ['deploy', ['endpointName']],
  'deploy.deploymentName': ['deploy', ['deploymentName']],
} as Record<string, [string, string[]]>;

/** A run's cost figures in dollars, rounded to the cent's hundredth (absent when it was not priced). */
function costFigures(run: RunEntry): Record<string, number | undefined> {
  const cost = recordedCost(run.record);
  const round = (usd: number | undefined) => (usd === undefined ? undefined : Number(usd.toFixed(4)));
  return { jobsUsd: round(cost?.jobsUsd), endpointUsdPerDay: round(cost?.endpoint?.usdPerDay) };
}

/** A run's tuning as settings to compare: its strategy, best objective and winning values. */
function tuningFigures(run: RunEntry): Record<string, unknown> {
  const tuning = tuningOf(run.record.stages.train?.outputs);
  if (!tuning) return {};
  return {
    strategy: tuning.strategy,
    trials: tuning.trials.length,
    [`best ${tuning.objective.metric}`]: bestObjective(tuning),
    ...Object.fromEntries(
      Object.entries(tuning.best.hyperparameters).map(([name, value]) => [`best ${name}`, value]),
    ),
  };
}

export function diffRuns(a: RunEntry, b: RunEntry): RunDiff {
  const names = [...new Set([...Object.keys(a.metrics ?? {}), ...Object.keys(b.metrics ?? {})])];
  return {
    a: a.record.id,
    b: b.record.id,
    params: changes(paramsOf(a), paramsOf(b)),
    data: changes(dataOf(a), dataOf(b)),
    image: changes(pick(a, IMAGE), pick(b, IMAGE)),
    // Job names differ whenever training ran: shown side by side, changed or not.
    jobs: [
      ...Object.keys(JOBS).map((path) => ({
        path,
        before: pick(a, JOBS)[path],
        after: pick(b, JOBS)[path],
      })),
      ...[...new Set([...Object.keys(userJobsOf(a)), ...Object.keys(userJobsOf(b))])].map((path) => ({
        path,
        before: userJobsOf(a)[path],
        after: userJobsOf(b)[path],
      })),
    ],
    cost: ['jobsUsd', 'endpointUsdPerDay'].map((path) => ({
      path,
      before: costFigures(a)[path],
      after: costFigures(b)[path],
    })),
    tuning: changes(tuningFigures(a), tuningFigures(b)),
    metrics: names.map((metric) => {
      const before = a.metrics?.[metric] ?? null;
      const after = b.metrics?.[metric] ?? null;
      return {
        metric,
        a: before,
        b: after,
        delta: before !== null && after !== null ? after - before : null,
        tone: before !== null && after !== null ? changeTone(metric, after - before) : null,
      };
    }),
  };
}
