// Which instances a config has billed, stage by stage: what SageMaker bills them for (training,
// hosting, processing, transform), how many, and a job's longest run. The plan's projection, each
// run's recorded cost and `pipeline prices` all read this one list.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import type { InstanceUse } from '../shared/price-table.js';

export interface BilledInstances {
  stage: string;
  use: InstanceUse;
  instanceType: string;
  /** Instances of one job (or the endpoint): a tuning job runs `jobs` such training jobs. */
  instances: number;
  /** A job's maximum runtime; absent for what bills by the hour it runs (an endpoint, a transform). */
  maxSeconds?: number;
  /** How many jobs the stage runs at most: a tuning job's trials; 1 otherwise. */
  jobs: number;
}

/** How many training jobs train runs: one, or a tuning job's most (a grid: each combination once). */
export function tuningJobsOf(config: PipelineConfig): number {
  const { tuning } = config;
  if (!tuning) return 1;
  if (tuning.strategy === 'Grid')
    return Object.values(tuning.ranges).reduce((product, range) => product * (range.values?.length ?? 1), 1);
  return tuning.maxJobs ?? 1;
}

/** In the pipeline's order: processing stages, train, deploy, and invoke when it runs a transform job. */
export function billedInstancesOf(config: PipelineConfig): BilledInstances[] {
  const billed: BilledInstances[] = [];
  for (const [stage, settings] of Object.entries(config.stages)) {
    if (!settings.processing) continue;
    const { instanceType, instanceCount, maxRuntimeSeconds } = settings.processing;
    billed.push({
      stage,
      use: 'processing',
      instanceType,
      instances: instanceCount,
      maxSeconds: maxRuntimeSeconds,
      jobs: 1,
    });
  }
  const { training, deploy, invoke } = config;
  billed.push({
    stage: 'train',
    use: 'training',
    instanceType: training.instanceType,
    instances: training.instanceCount,
    maxSeconds: training.maxRuntimeSeconds,
    jobs: tuningJobsOf(config),
  });
  billed.push({
    stage: 'deploy',
    use: 'hosting',
    instanceType: deploy.instanceType,
    instances: deploy.instanceCount,
    jobs: 1,
  });
  if (invoke?.via === 'transform')
    billed.push({
      stage: 'invoke',
      use: 'transform',
      instanceType: invoke.transform.instanceType,
      instances: 1,
      jobs: 1,
    });
  return billed;
}
