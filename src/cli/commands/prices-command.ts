// `pipeline prices`: the price table the plan's projections, each run's cost and the budget read,
// shown for the instances the config uses; with --update, read again from AWS's Price List.
import { relative, resolve } from 'node:path';
import { billedInstancesOf } from '../../review/billed-instances.js';
import { StageError } from '../../shared/errors.js';
import {
  formatUsd,
  type PriceTable,
  priceOf,
  readPriceTable,
  writePriceTable,
} from '../../shared/price-table.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { loadForCommand } from '../open-pipeline.js';
import { pricingRegion } from '../run-costs.js';

export interface PricesOptions extends CommonOptions {
  update?: boolean;
  region?: string[];
}

export async function pricesCommand(options: PricesOptions, io: CliIo): Promise<CliFailure | undefined> {
  const loaded = await loadForCommand(options, io);
  if (!loaded.ok) return { reason: 'config', errors: loaded.error };
  const { config, projectDir } = loaded.value;
  const cwd = io.cwd ?? process.cwd();
  const file = resolve(projectDir, config.prices);
  const shown = relative(cwd, file).startsWith('..') ? file : relative(cwd, file);
  const region = pricingRegion(config);
  const existing = await readPriceTable(file);
  if (!existing.ok && existing.error.kind === 'unreadable' && !options.update)
    return { reason: 'usage', message: `the price table ${shown} cannot be used: ${existing.error.detail}` };

  let table: PriceTable | undefined = existing.ok ? existing.value : undefined;
  if (options.update) {
    const regions = options.region && options.region.length > 0 ? options.region : region ? [region] : [];
    if (regions.length === 0)
      return {
        reason: 'usage',
        message: 'no region to price: give --region, or set aws.region or AWS_REGION',
      };
    const { readPriceList } = await import('../../sagemaker/price-list.js');
    let read: PriceTable;
    try {
      read = await readPriceList({
        regions,
        ...(config.aws.profile ? { profile: config.aws.profile } : {}),
        onPage: (at, entries) => {
          if (!options.json) io.stderr.write(`\rreading the Price List of ${at}: ${entries} entries`);
        },
      });
    } catch (error) {
      if (!options.json) io.stderr.write('\n');
      if (error instanceof StageError)
        return {
          reason: 'remote',
          message: error.detail ? `${error.message}\n${error.detail}` : error.message,
        };
      throw error;
    }
    if (!options.json) io.stderr.write('\n');
    for (const at of regions)
      if (Object.keys(read.regions[at] ?? {}).length === 0)
        return {
          reason: 'remote',
          message: `the Price List has no SageMaker instance price for ${at}: is it a region's code?`,
        };
    // Other regions the table held are kept: a team may price several.
    table = { ...read, regions: { ...(table?.regions ?? {}), ...read.regions } };
    await writePriceTable(file, table);
    if (!options.json)
      writeLine(
        io.stdout,
        `${shown}: ${regions.map((at) => `${Object.keys(read.regions[at] ?? {}).length} instance types in ${at}`).join(', ')}, read ${read.retrievedAt}`,
      );
  }

  const used = billedInstancesOf(config).map(({ stage, use, instanceType }) => ({
    stage,
    use,
    instanceType,
    usdPerHour: table && region ? (priceOf(table, region, instanceType, use) ?? null) : null,
  }));
  if (options.json) {
    writeJson(io.stdout, {
      file,
      region: region ?? null,
      retrievedAt: table?.retrievedAt ?? null,
      source: table?.source ?? null,
      used,
    });
    return undefined;
  }
  if (!table) {
    writeLine(
      io.stdout,
      `No price table (${shown}): \`pipeline prices --update\` writes one from AWS's Price List.`,
    );
    return undefined;
  }
  writeLine(io.stdout, `${shown}: on-demand USD per instance-hour, read ${table.retrievedAt}`);
  writeLine(io.stdout, `source: ${table.source}`);
  writeLine(io.stdout, `The instances of this config${region ? ` in ${region}` : ''}:`);
  const pad = Math.max(...used.map((entry) => entry.stage.length));
  for (const entry of used)
    writeLine(
      io.stdout,
      `  ${entry.stage.padEnd(pad)}  ${entry.instanceType} (${entry.use}): ${entry.usdPerHour === null ? 'no price' : `${formatUsd(entry.usdPerHour)}/h`}`,
    );
  return undefined;
}
