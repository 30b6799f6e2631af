// Cost around a run: the projection and budget check of a plan (before anything starts), and the
// cost written into the run's record when it ends, both at the prices of the project's table.
import { resolve } from 'node:path';
import type { LoadedConfig } from '../engine/config/load-config.js';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import type { PlannedStage } from '../engine/run/plan-run.js';
import type { JsonValue } from '../engine/stage.js';
import type { PipelineState } from '../engine/state/pipeline-state.js';
import type { RunRecord } from '../engine/state/run-record.js';
import {
  type BudgetBreach,
  budgetBreaches,
  type CostProjection,
  projectCost,
} from '../review/cost-projection.js';
import { costOfRun } from '../review/run-cost.js';
import { describePriceTableProblem, type PriceTable, readPriceTable } from '../shared/price-table.js';

/** The region whose prices apply: target local bills nothing, and is priced as aws.region would be. */
export function pricingRegion(config: PipelineConfig): string | undefined {
  return (
    config.aws.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    (config.target === 'local' ? 'us-east-1' : undefined)
  );
}

export interface PlanCost {
  /** The table as the plan names it: its file (relative), date and source. */
  table?: { file: string; retrievedAt: string; source: string };
  projection?: CostProjection;
  /** Why there is no projection (no table, no region). */
  problem?: string;
  breaches: BudgetBreach[];
}

const priceTableFile = (loaded: LoadedConfig) => resolve(loaded.projectDir, loaded.config.prices);

async function tableOf(
  loaded: LoadedConfig,
): Promise<{ table?: PriceTable; problem?: string; shown: string }> {
  const file = priceTableFile(loaded);
  // As pipeline.yaml names it (`prices:`, relative to the project folder), wherever the CLI runs.
  const shown = loaded.config.prices;
  const read = await readPriceTable(file);
  return read.ok
    ? { table: read.value, shown }
    : { problem: describePriceTableProblem(read.error, shown), shown };
}

export async function planCost(loaded: LoadedConfig, plan: readonly PlannedStage[]): Promise<PlanCost> {
  const { config } = loaded;
  const budgeted = config.budget.maxRunUsd !== undefined || config.budget.maxEndpointUsdPerDay !== undefined;
  const running = new Set(plan.filter((stage) => stage.action === 'run').map((stage) => stage.name));
  const { table, problem, shown } = await tableOf(loaded);
  const region = pricingRegion(config);
  const refuse = (why: string): PlanCost => ({
    problem: why,
    breaches: budgeted
      ? [
          {
            setting:
              config.budget.maxRunUsd !== undefined ? 'budget.maxRunUsd' : 'budget.maxEndpointUsdPerDay',
            limit: (config.budget.maxRunUsd ?? config.budget.maxEndpointUsdPerDay) as number,
            message: `the budget cannot be checked: ${why}`,
          },
        ]
      : [],
  });
  if (!table) return refuse(problem as string);
  if (!region) return refuse('no region to price (set aws.region or AWS_REGION)');
  const projection = projectCost(config, running, table, region);
  return {
    table: { file: shown, retrievedAt: table.retrievedAt, source: table.source },
    projection,
    breaches: budgetBreaches(config, projection),
  };
}

/**
 * What the run cost, for its final record (the engine writes it; the billed seconds are known only
 * at the run's end). Without a price table there is none: nothing is guessed.
 */
export async function runCostOf(
  loaded: LoadedConfig,
  record: RunRecord,
  state: PipelineState,
  projected: PlanCost,
): Promise<RunRecord['cost']> {
  const { table } = await tableOf(loaded);
  const region = pricingRegion(loaded.config);
  if (!table || !region) return undefined;
  const cost = costOfRun(record, loaded.config, state, table, region);
  return {
    ...(JSON.parse(JSON.stringify(cost)) as { [key: string]: JsonValue }),
    ...(projected.projection ? { projectedWorstUsd: projected.projection.runWorstUsd } : {}),
  };
}
