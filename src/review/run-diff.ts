// What differs between two runs: settings leaf by leaf, data fingerprints, the image, the jobs
// and endpoint deployments, and the metrics with their deltas.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import type { JsonValue } from '../engine/stage.js';
import { experimentParams } from './experiment-params.js';
import { type Change, changes } from './flatten.js';
import { type ChangeTone, changeTone } from './metric-direction.js';
import { outputsIn, type RunEntry } from './run-history.js';

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

function dataOf(run: RunEntry): Record<string, unknown> {
  const channels = outputsIn(run, 'upload')?.channels;
  if (!channels || typeof channels !== 'object' || Array.isArray(channels)) return {};
  return Object.fromEntries(
    Object.entries(channels as Record<string, { contentHash?: string; s3Uri?: string }>).map(
      ([name, channel]) => [`data.${name}`, `${channel.s3Uri ?? '?'} ${channel.contentHash ?? ''}`.trim()],
    ),
  );
}

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

export function diffRuns(a: RunEntry, b: RunEntry): RunDiff {
  const names = [...new Set([...Object.keys(a.metrics ?? {}), ...Object.keys(b.metrics ?? {})])];
  return {
    a: a.record.id,
    b: b.record.id,
    params: changes(paramsOf(a), paramsOf(b)),
    data: changes(dataOf(a), dataOf(b)),
    image: changes(pick(a, IMAGE), pick(b, IMAGE)),
    // Job names differ whenever training ran: shown side by side, changed or not.
    jobs: Object.keys(JOBS).map((path) => ({
      path,
      before: pick(a, JOBS)[path],
      after: pick(b, JOBS)[path],
    })),
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
