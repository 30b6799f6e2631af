// What the stages a plan runs will cost at worst, from the config and the price table, before
// anything starts: a training or processing job bills its instances for at most its maximum runtime,
// an endpoint its instances for every hour it serves. The budget is checked against these figures.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { formatUsd, type InstanceUse, type PriceTable, priceOf } from '../shared/price-table.js';

/** One stage's billed instances. */
export interface CostLine {
  stage: string;
  use: InstanceUse;
  instanceType: string;
  instances: number;
  /** USD per instance-hour; absent when the table has no price for it. */
  pricePerHour?: number;
  /** A job's most: its instances for its whole maximum runtime. */
  maxSeconds?: number;
  worstUsd?: number;
  /** An endpoint's, or a job without a maximum runtime: per hour it runs, and per day. */
  usdPerHour?: number;
  usdPerDay?: number;
  note?: string;
}

export interface CostProjection {
  region: string;
  lines: CostLine[];
  /** The jobs' worst case together: what `budget.maxRunUsd` is checked against. */
  runWorstUsd: number;
  /** The endpoint once deployed, per day: what `budget.maxEndpointUsdPerDay` is checked against. */
  endpointUsdPerDay?: number;
  /** Lines without a price: said, never counted as free. */
  unpriced: CostLine[];
}

const SECONDS_PER_HOUR = 3600;

/** The billed instances of each stage the plan runs, at the table's prices. */
export function projectCost(
  config: PipelineConfig,
  running: ReadonlySet<string>,
  table: PriceTable,
  region: string,
): CostProjection {
  const lines: CostLine[] = [];
  /**
   * One stage's instances: a job with a maximum runtime is priced for all of it; one without
   * (an endpoint, a transform job) per hour and per day.
   */
  const bill = (
    stage: string,
    use: InstanceUse,
    instanceType: string,
    instances: number,
    maxSeconds: number | undefined,
    note?: string,
  ) => {
    const price = priceOf(table, region, instanceType, use);
    const figures =
      price === undefined
        ? {}
        : maxSeconds !== undefined
          ? { pricePerHour: price, worstUsd: (instances * maxSeconds * price) / SECONDS_PER_HOUR }
          : { pricePerHour: price, usdPerHour: instances * price, usdPerDay: instances * price * 24 };
    lines.push({
      stage,
      use,
      instanceType,
      instances,
      ...(maxSeconds !== undefined ? { maxSeconds } : {}),
      ...figures,
      ...(note ? { note } : {}),
    });
  };
  const serving = (stage: string, use: InstanceUse, instanceType: string, instances: number, note?: string) =>
    bill(stage, use, instanceType, instances, undefined, note);

  for (const [name, stage] of Object.entries(config.stages)) {
    if (!running.has(name) || !stage.processing) continue;
    const { instanceType, instanceCount, maxRuntimeSeconds } = stage.processing;
    bill(name, 'processing', instanceType, instanceCount, maxRuntimeSeconds);
  }
  if (running.has('train')) {
    const { instanceType, instanceCount, maxRuntimeSeconds, spot } = config.training;
    // A tuning job runs up to maxJobs training jobs (a grid, each combination once), each at worst.
    const jobs = tuningJobsOf(config);
    const notes = [
      ...(jobs > 1 ? [`a tuning job of up to ${jobs} training jobs`] : []),
      ...(spot.enabled
        ? ['managed spot: billed at the spot price, usually well below this on-demand figure']
        : []),
    ];
    bill(
      'train',
      'training',
      instanceType,
      instanceCount * jobs,
      maxRuntimeSeconds,
      notes.join('; ') || undefined,
    );
  }
  if (running.has('deploy')) {
    const { instanceType, instanceCount, strategy } = config.deploy;
    serving(
      'deploy',
      'hosting',
      instanceType,
      instanceCount,
      strategy === 'gated' && config.evaluate
        ? 'while a candidate is judged, the serving model’s instances run beside it'
        : undefined,
    );
  }
  if (running.has('invoke') && config.invoke?.via === 'transform') {
    serving(
      'invoke',
      'transform',
      config.invoke.transform.instanceType,
      1,
      'a transform job has no maximum runtime: per hour it runs',
    );
  }

  const unpriced = lines.filter((line) => line.pricePerHour === undefined);
  const runWorstUsd = lines.reduce((sum, line) => sum + (line.worstUsd ?? 0), 0);
  const endpoint = lines.find((line) => line.stage === 'deploy');
  return {
    region,
    lines,
    runWorstUsd,
    ...(endpoint?.usdPerDay !== undefined ? { endpointUsdPerDay: endpoint.usdPerDay } : {}),
    unpriced,
  };
}

/** How many training jobs train runs: one, or a tuning job's most. */
export function tuningJobsOf(config: PipelineConfig): number {
  const { tuning } = config;
  if (!tuning) return 1;
  if (tuning.strategy === 'Grid')
    return Object.values(tuning.ranges).reduce((product, range) => product * (range.values?.length ?? 1), 1);
  return tuning.maxJobs ?? 1;
}

/** A budget setting the projection goes over (or cannot be checked against), said as the refusal. */
export interface BudgetBreach {
  setting: 'budget.maxRunUsd' | 'budget.maxEndpointUsdPerDay';
  limit: number;
  message: string;
}

const describeUnpriced = (line: CostLine, region: string) =>
  `${line.instanceType} has no ${line.use} price for ${region} in the price table`;

export function budgetBreaches(config: PipelineConfig, projection: CostProjection): BudgetBreach[] {
  const breaches: BudgetBreach[] = [];
  const { maxRunUsd, maxEndpointUsdPerDay } = config.budget;
  const jobs = projection.lines.filter((line) => line.maxSeconds !== undefined);
  if (maxRunUsd !== undefined) {
    const unpriced = jobs.find((line) => line.worstUsd === undefined);
    if (unpriced)
      breaches.push({
        setting: 'budget.maxRunUsd',
        limit: maxRunUsd,
        message: `budget.maxRunUsd (${formatUsd(maxRunUsd)}) cannot be checked: ${describeUnpriced(unpriced, projection.region)} (stage ${unpriced.stage})`,
      });
    else if (projection.runWorstUsd > maxRunUsd) {
      const parts = jobs.map(
        (line) =>
          `${line.stage} ${line.instances} × ${line.instanceType} × ${formatHours(line.maxSeconds as number)} at ${formatUsd(line.pricePerHour as number)}/h = ${formatUsd(line.worstUsd as number)}`,
      );
      breaches.push({
        setting: 'budget.maxRunUsd',
        limit: maxRunUsd,
        message: `this run may cost up to ${formatUsd(projection.runWorstUsd)}, over budget.maxRunUsd (${formatUsd(maxRunUsd)}): ${parts.join('; ')}`,
      });
    }
  }
  const endpoint = projection.lines.find((line) => line.stage === 'deploy');
  if (maxEndpointUsdPerDay !== undefined && endpoint) {
    if (endpoint.usdPerDay === undefined)
      breaches.push({
        setting: 'budget.maxEndpointUsdPerDay',
        limit: maxEndpointUsdPerDay,
        message: `budget.maxEndpointUsdPerDay (${formatUsd(maxEndpointUsdPerDay)}) cannot be checked: ${describeUnpriced(endpoint, projection.region)}`,
      });
    else if (endpoint.usdPerDay > maxEndpointUsdPerDay)
      breaches.push({
        setting: 'budget.maxEndpointUsdPerDay',
        limit: maxEndpointUsdPerDay,
        message: `the endpoint would cost ${formatUsd(endpoint.usdPerDay)} per day (${endpoint.instances} × ${endpoint.instanceType} at ${formatUsd(endpoint.pricePerHour as number)}/h), over budget.maxEndpointUsdPerDay (${formatUsd(maxEndpointUsdPerDay)})`,
      });
  }
  return breaches;
}

/** 86400 s → 24h, 5400 s → 1.5h, 600 s → 10m. */
export function formatHours(seconds: number): string {
  if (seconds < SECONDS_PER_HOUR) return `${Number((seconds / 60).toFixed(1))}m`;
  return `${Number((seconds / SECONDS_PER_HOUR).toFixed(2))}h`;
}
