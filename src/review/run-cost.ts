// What a run cost, recorded when it ends: each job's billed seconds (a training job's
// BillableTimeInSeconds, which spot savings already shorten; a processing or transform job's start
// to end) × its instances × the price of its use; and the endpoint's instances for the hours since
// it last changed. Only what ran is billed: a stage skipped costs nothing in this run.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import type { StageOutputs } from '../engine/stage.js';
import type { PipelineState } from '../engine/state/pipeline-state.js';
import type { RunRecord } from '../engine/state/run-record.js';
import type { InstanceUse, PriceTable } from '../shared/price-table.js';
import { priceOf } from '../shared/price-table.js';
import { billedInstancesOf } from './billed-instances.js';

export interface BilledJob {
  use: InstanceUse;
  instanceType: string;
  instances: number;
  seconds: number;
  /** Absent when the table has no price for it. */
  usd?: number;
}

export interface EndpointCost {
  instanceType: string;
  instances: number;
  /** When the serving deployment was made: the endpoint's cost is counted from then. */
  since: string;
  hours: number;
  usdPerDay?: number;
  usdSinceChange?: number;
}

export interface RunCost {
  region: string;
  /** The price table's date and source: the cost is at those prices. */
  prices: { retrievedAt: string; source: string };
  jobs: Record<string, BilledJob>;
  /** The jobs' cost together (the unpriced ones aside, and named in `unpriced`). */
  jobsUsd: number;
  unpriced: string[];
  endpoint?: EndpointCost;
}

const reportOf = (outputs: StageOutputs | undefined): Record<string, unknown> => {
  const report = outputs?.report;
  return typeof report === 'object' && report !== null && !Array.isArray(report) ? report : {};
};

const secondsIn = (value: unknown): number => (typeof value === 'number' && value > 0 ? value : 0);

/** Where each use's report says how long its instances were billed (a tuning job's: all its trials). */
const BILLED_SECONDS: Partial<Record<InstanceUse, string>> = {
  training: 'billableSeconds',
  processing: 'seconds',
  transform: 'transformSeconds',
};

/** The billed jobs of a run's stages that ran, with what each one's report says it used. */
function billedJobs(config: PipelineConfig, record: RunRecord): Record<string, Omit<BilledJob, 'usd'>> {
  const jobs: Record<string, Omit<BilledJob, 'usd'>> = {};
  for (const { stage, use, instanceType, instances } of billedInstancesOf(config)) {
    const key = BILLED_SECONDS[use];
    if (!key || record.stages[stage]?.action !== 'ran') continue;
    const seconds = secondsIn(reportOf(record.stages[stage]?.outputs)[key]);
    jobs[stage] = { use, instanceType, instances, seconds };
  }
  // In the run's order of stages, as `show` lists them.
  const order = Object.keys(record.stages);
  return Object.fromEntries(Object.entries(jobs).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)));
}

/** The endpoint as the state says it serves after the run, priced for the hours since it changed. */
function endpointCost(
  state: PipelineState,
  table: PriceTable,
  region: string,
  until: string,
): EndpointCost | undefined {
  const deployed = state.stages.deploy?.lastSuccess;
  const settings = (
    deployed?.inputs.config as { deploy?: { instanceType?: unknown; instanceCount?: unknown } } | undefined
  )?.deploy;
  if (!deployed || typeof settings?.instanceType !== 'string' || typeof settings.instanceCount !== 'number')
    return undefined;
  const hours = Math.max(0, (Date.parse(until) - Date.parse(deployed.finishedAt)) / 3_600_000);
  const price = priceOf(table, region, settings.instanceType, 'hosting');
  return {
    instanceType: settings.instanceType,
    instances: settings.instanceCount,
    since: deployed.finishedAt,
    hours: Number(hours.toFixed(4)),
    ...(price !== undefined
      ? {
          usdPerDay: settings.instanceCount * price * 24,
          usdSinceChange: settings.instanceCount * price * hours,
        }
      : {}),
  };
}

export function costOfRun(
  record: RunRecord,
  config: PipelineConfig,
  state: PipelineState,
  table: PriceTable,
  region: string,
): RunCost {
  const jobs: Record<string, BilledJob> = {};
  const unpriced: string[] = [];
  let jobsUsd = 0;
  for (const [stage, job] of Object.entries(billedJobs(config, record))) {
    const price = priceOf(table, region, job.instanceType, job.use);
    if (price === undefined) {
      unpriced.push(`${stage}: ${job.instanceType} (${job.use})`);
      jobs[stage] = job;
      continue;
    }
    const usd = (job.seconds * job.instances * price) / 3600;
    jobsUsd += usd;
    jobs[stage] = { ...job, usd };
  }
  const endpoint = endpointCost(state, table, region, record.finishedAt);
  return {
    region,
    prices: { retrievedAt: table.retrievedAt, source: table.source },
    jobs,
    jobsUsd,
    unpriced,
    ...(endpoint ? { endpoint } : {}),
  };
}

/** The cost a run's record holds, when the run was priced (a price table existed then). */
export function recordedCost(record: RunRecord): (RunCost & { projectedWorstUsd?: number }) | undefined {
  const cost = record.cost as Partial<RunCost> | undefined;
  if (!cost || typeof cost.jobsUsd !== 'number' || typeof cost.jobs !== 'object' || !cost.prices)
    return undefined;
  return cost as RunCost & { projectedWorstUsd?: number };
}
