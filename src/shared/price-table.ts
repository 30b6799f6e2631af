// The SageMaker price table a project commits beside pipeline.yaml (`prices:`), written by
// `pipeline prices --update` from AWS's Price List: on-demand USD per instance-hour, per region,
// instance type and use. The plan's projections, each run's cost and the budget read it. Prices are
// never made up: an instance the table lacks is said to be unpriced, never priced at a guess.
import { readFile } from 'node:fs/promises';
import type { Result } from './result.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** What SageMaker bills an instance-hour for, each at its own price (usage types Train, Host, …). */
export const INSTANCE_USES = ['training', 'hosting', 'processing', 'transform'] as const;
export type InstanceUse = (typeof INSTANCE_USES)[number];

export type InstancePrices = Partial<Record<InstanceUse, number>>;

export interface PriceTable {
  /** Where the prices come from, as a reviewer would check them. */
  source: string;
  /** When they were read (ISO 8601): prices change, and the table says how old it is. */
  retrievedAt: string;
  currency: 'USD';
  unit: 'instance-hour';
  /** region → instance type (ml.m5.large) → use → USD per instance-hour, on demand. */
  regions: Record<string, Record<string, InstancePrices>>;
}

export type PriceTableProblem =
  | { kind: 'missing'; file: string }
  | { kind: 'unreadable'; file: string; detail: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why a parsed file is not a price table, or undefined when it is one. */
export function priceTableProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'it is not a JSON object';
  if (typeof value.source !== 'string' || value.source === '')
    return '"source" must name where the prices come from';
  if (typeof value.retrievedAt !== 'string' || Number.isNaN(Date.parse(value.retrievedAt)))
    return '"retrievedAt" must be the date the prices were read (ISO 8601)';
  if (value.currency !== 'USD') return '"currency" must be "USD"';
  if (value.unit !== 'instance-hour') return '"unit" must be "instance-hour"';
  if (!isRecord(value.regions)) return '"regions" must map each region to its instance types';
  for (const [region, instances] of Object.entries(value.regions)) {
    if (!isRecord(instances)) return `regions.${region} must map instance types to their prices`;
    for (const [instance, prices] of Object.entries(instances)) {
      const at = `regions.${region}.${instance}`;
      if (!isRecord(prices)) return `${at} must map uses (${INSTANCE_USES.join(', ')}) to prices`;
      for (const [use, price] of Object.entries(prices)) {
        if (!(INSTANCE_USES as readonly string[]).includes(use))
          return `${at}.${use}: the uses are ${INSTANCE_USES.join(', ')}`;
        if (typeof price !== 'number' || !Number.isFinite(price) || price < 0)
          return `${at}.${use} must be a price in USD per hour (a number, 0 or more)`;
      }
    }
  }
  return undefined;
}

export async function readPriceTable(file: string): Promise<Result<PriceTable, PriceTableProblem>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { ok: false, error: { kind: 'missing', file } };
    return { ok: false, error: { kind: 'unreadable', file, detail: (error as Error).message } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: { kind: 'unreadable', file, detail: (error as Error).message } };
  }
  const problem = priceTableProblem(value);
  if (problem) return { ok: false, error: { kind: 'unreadable', file, detail: problem } };
  return { ok: true, value: value as PriceTable };
}

/** Sorted keys, two-space indent: a table read again on another day diffs line by line. */
export async function writePriceTable(file: string, table: PriceTable): Promise<void> {
  const sorted = <T>(record: Record<string, T>): Record<string, T> =>
    Object.fromEntries(
      Object.entries(record).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })),
    );
  const regions = Object.fromEntries(
    Object.entries(sorted(table.regions)).map(([region, instances]) => [
      region,
      Object.fromEntries(
        Object.entries(sorted(instances)).map(([instance, prices]) => [
          instance,
          Object.fromEntries(
            INSTANCE_USES.flatMap((use) => (prices[use] === undefined ? [] : [[use, prices[use]]])),
          ),
        ]),
      ),
    ]),
  );
  await writeFileAtomic(file, `${JSON.stringify({ ...table, regions }, null, 2)}\n`);
}

export function priceOf(
  table: PriceTable,
  region: string,
  instanceType: string,
  use: InstanceUse,
): number | undefined {
  return table.regions[region]?.[instanceType]?.[use];
}

/** How a price problem reads in the plan and in errors. */
export function describePriceTableProblem(problem: PriceTableProblem, shown: string): string {
  return problem.kind === 'missing'
    ? `no price table (${shown}): \`pipeline prices --update\` writes one from AWS's Price List`
    : `the price table ${shown} cannot be used: ${problem.detail}`;
}

/** Dollars as people read them: cents, or more digits for the sub-cent prices of short jobs. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 100) return `$${usd.toFixed(0)}`;
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${usd.toPrecision(2)}`;
}
