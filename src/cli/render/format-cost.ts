// Cost as the plan, `show` and `runs` print it: at worst before a run, as billed after it.
import type { CostLine } from '../../review/cost-projection.js';
import { formatHours } from '../../review/cost-projection.js';
import type { RunCost } from '../../review/run-cost.js';
import { formatUsd } from '../../shared/price-table.js';
import type { Paint } from '../paint.js';
import type { PlanCost } from '../run-costs.js';

const day = (iso: string) => iso.slice(0, 10);

function describeLine(line: CostLine): string {
  const what = `${line.instances} × ${line.instanceType} (${line.use})`;
  if (line.pricePerHour === undefined) return `${what}: no price in the table`;
  const price = `${formatUsd(line.pricePerHour)}/h`;
  const figure =
    line.worstUsd !== undefined
      ? `up to ${formatHours(line.maxSeconds as number)} at ${price}: at most ${formatUsd(line.worstUsd)}`
      : `at ${price}: ${formatUsd(line.usdPerHour as number)} per hour, ${formatUsd(line.usdPerDay as number)} per day`;
  return `${what} ${figure}${line.note ? ` (${line.note})` : ''}`;
}

/** The plan's cost section, or undefined when nothing billed runs and nothing needs saying. */
export function formatPlanCost(cost: PlanCost, target: string, paint: Paint): string | undefined {
  const { projection, table } = cost;
  if (!projection || !table) return cost.problem ? paint('dim', `Cost: ${cost.problem}.`) : undefined;
  if (projection.lines.length === 0) return undefined;
  const where =
    target === 'local'
      ? `on SageMaker in ${projection.region} (target local bills nothing)`
      : projection.region;
  const lines = [`Cost at worst, on demand ${where}; prices of ${day(table.retrievedAt)} (${table.file}):`];
  const pad = Math.max(...projection.lines.map((line) => line.stage.length));
  for (const line of projection.lines) lines.push(`  ${line.stage.padEnd(pad)}  ${describeLine(line)}`);
  if (projection.lines.some((line) => line.worstUsd !== undefined))
    lines.push(`  ${'jobs'.padEnd(pad)}  at most ${paint('bold', formatUsd(projection.runWorstUsd))} in all`);
  for (const breach of cost.breaches) lines.push(paint('red', `  over budget: ${breach.message}`));
  return lines.join('\n');
}

/** `pipeline show`: what a run cost, as billed. */
export function formatRunCost(cost: RunCost): string {
  const lines = [`Cost (on demand, ${cost.region}, prices of ${day(cost.prices.retrievedAt)}):`];
  for (const [stage, job] of Object.entries(cost.jobs)) {
    const billed = `${job.instances} × ${job.instanceType} (${job.use}) for ${job.seconds}s`;
    lines.push(
      `  ${stage}: ${billed}${job.usd !== undefined ? `: ${formatUsd(job.usd)}` : ': no price in the table'}`,
    );
  }
  if (Object.keys(cost.jobs).length > 0) lines.push(`  jobs: ${formatUsd(cost.jobsUsd)}`);
  else lines.push('  no job billed in this run');
  const { endpoint } = cost;
  if (endpoint) {
    const since = `${endpoint.hours < 1 ? `${Math.round(endpoint.hours * 60)} min` : `${endpoint.hours.toFixed(1)} h`} since it changed (${endpoint.since})`;
    lines.push(
      endpoint.usdPerDay !== undefined
        ? `  endpoint: ${endpoint.instances} × ${endpoint.instanceType}, ${formatUsd(endpoint.usdPerDay)} per day; ${formatUsd(endpoint.usdSinceChange ?? 0)} in the ${since}`
        : `  endpoint: ${endpoint.instances} × ${endpoint.instanceType}: no hosting price in the table`,
    );
  }
  return lines.join('\n');
}

/** One line after `pipeline run`: what its jobs cost, and the endpoint per day. */
export function formatCostLine(cost: RunCost): string {
  const jobs = Object.keys(cost.jobs).length > 0 ? `jobs ${formatUsd(cost.jobsUsd)}` : 'no job billed';
  const endpoint =
    cost.endpoint?.usdPerDay !== undefined ? `; endpoint ${formatUsd(cost.endpoint.usdPerDay)} per day` : '';
  const unpriced = cost.unpriced.length > 0 ? `; no price for ${cost.unpriced.join(', ')}` : '';
  return `Cost: ${jobs}${endpoint}${unpriced} (on demand, ${cost.region}, prices of ${day(cost.prices.retrievedAt)})`;
}
