// `pipeline plan` (and `pipeline run --dry-run`): what would run and why; nothing is executed.
import { planRun, type Selection } from '../../engine/run/plan-run.js';
import type { Stage } from '../../engine/stage.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { openPipeline } from '../open-pipeline.js';
import { painter } from '../paint.js';
import { formatPlanCost } from '../render/format-cost.js';
import { formatPlan } from '../render/format-run.js';
import { planCost } from '../run-costs.js';

export async function planCommand(
  options: CommonOptions & Selection,
  io: CliIo,
  builtIns: readonly Stage[],
): Promise<CliFailure | undefined> {
  const opened = await openPipeline(options, io, builtIns);
  if (!opened.ok) return opened.error;
  const { loaded, stages, state, hasher, secrets, stateDir } = opened.value;
  const plan = await planRun(stages, state, loaded, options, {
    hasher,
    secrets,
    stateDir,
    mayStart: false,
    refresh: options.refresh !== false,
  });
  await hasher.save();
  if (!plan.ok) return { reason: 'plan', failure: plan.error };
  const cost = await planCost(loaded, plan.value);
  if (options.json) {
    writeJson(io.stdout, {
      pipeline: loaded.config.name,
      target: loaded.config.target,
      environment: loaded.environment ?? null,
      stages: plan.value.map(({ name, action, reasons, skip, forced, fingerprint }) => ({
        name,
        action,
        reasons,
        skip: skip ?? null,
        forced,
        fingerprint: fingerprint ?? null,
      })),
      cost: {
        table: cost.table ?? null,
        problem: cost.problem ?? null,
        projection: cost.projection ?? null,
        overBudget: cost.breaches,
      },
    });
    return undefined;
  }
  const paint = painter(Boolean(io.stdout.isTTY), io.env);
  const env = loaded.environment ? `, env ${loaded.environment}` : '';
  writeLine(
    io.stdout,
    `Plan for ${paint('bold', loaded.config.name)} (target ${loaded.config.target}${env})`,
  );
  writeLine(io.stdout, formatPlan(plan.value, paint));
  const costText = formatPlanCost(cost, loaded.config.target, paint);
  if (costText) writeLine(io.stdout, `\n${costText}`);
  return undefined;
}
