// What the stages a plan runs will cost at worst, from the config and the price table, before
// anything starts: a training or processing job bills its instances for at most its maximum runtime,
// an endpoint its instances for every hour it serves. The budget is checked against these figures.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { formatUsd, type InstanceUse, type PriceTable, priceOf } from '../shared/price-table.js';
import { type BilledInstances, billedInstancesOf } from './billed-instances.js';

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
  // A job with a maximum runtime is priced for all of it; what has none (an endpoint, a transform
  // job) per hour and per day.
  const lines: CostLine[] = billedInstancesOf(config)
    .filter((billed) => running.has(billed.stage))
    .map((billed) => {
      const { stage, use, instanceType, maxSeconds } = billed;
      const instances = billed.instances * billed.jobs;
      const price = priceOf(table, region, instanceType, use);
      const figures =
        price === undefined
          ? {}
          : maxSeconds !== undefined
            ? { pricePerHour: price, worstUsd: (instances * maxSeconds * price) / SECONDS_PER_HOUR }
            : { pricePerHour: price, usdPerHour: instances * price, usdPerDay: instances * price * 24 };
      const note = noteOf(billed, config);
      return {
        stage,
        use,
        instanceType,
        instances,
        ...(maxSeconds !== undefined ? { maxSeconds } : {}),
        ...figures,
        ...(note ? { note } : {}),
      };
    });

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

/** What a projected line should say besides its figures. */
function noteOf(billed: BilledInstances, config: PipelineConfig): string | undefined {
  if (billed.use === 'training') {
    const notes = [
      ...(billed.jobs > 1 ? [`a tuning job of up to ${billed.jobs} training jobs`] : []),
      ...(config.training.spot.enabled
        ? ['managed spot: billed at the spot price, usually well below this on-demand figure']
        : []),
    ];
    return notes.join('; ') || undefined;
  }
  if (billed.use === 'hosting')
    return config.deploy.strategy === 'gated' && config.evaluate
      ? 'while a candidate is judged, the serving model’s instances run beside it'
      : undefined;
  if (billed.use === 'transform') return 'a transform job has no maximum runtime: per hour it runs';
  return undefined;
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
