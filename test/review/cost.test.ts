// The price table's shape, the plan's projection and budget, a run's billed cost, and how a Price
// List entry becomes a price. The prices here are a test fixture, not AWS's.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PipelineConfig } from '../../src/engine/config/pipeline-config.js';
import type { PipelineState } from '../../src/engine/state/pipeline-state.js';
import type { RunRecord } from '../../src/engine/state/run-record.js';
import { budgetBreaches, projectCost } from '../../src/review/cost-projection.js';
import { costOfRun, recordedCost } from '../../src/review/run-cost.js';
import { diffRuns } from '../../src/review/run-diff.js';
import { costMarkdown, runEndHtml } from '../../src/review/stage-times.js';
import { priceOfEntry } from '../../src/sagemaker/price-list.js';
import {
  formatUsd,
  priceTableProblem,
  readPriceTable,
  writePriceTable,
} from '../../src/shared/price-table.js';
import { FIXTURE_TABLE } from '../rig/price-list.js';

function config(overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return {
    name: 'p',
    target: 'local',
    training: {
      instanceType: 'ml.m5.large',
      instanceCount: 2,
      maxRuntimeSeconds: 7200,
      spot: { enabled: false, checkpointLocalPath: '/opt/ml/checkpoints' },
    },
    deploy: { instanceType: 'ml.m5.large', instanceCount: 3, strategy: 'replace' },
    stages: {
      prepare: {
        needs: [],
        deps: [],
        processing: { instanceType: 'ml.m5.large', instanceCount: 1, maxRuntimeSeconds: 1800 },
      },
    },
    budget: {},
    ...overrides,
  } as unknown as PipelineConfig;
}

describe('cost', () => {
  it('projects each stage that runs at worst: jobs for their whole maximum runtime, the endpoint per day', () => {
    const projection = projectCost(
      config(),
      new Set(['prepare', 'train', 'deploy']),
      FIXTURE_TABLE,
      'us-east-1',
    );
    const byStage = Object.fromEntries(projection.lines.map((line) => [line.stage, line]));
    assert.equal(byStage.train?.worstUsd, 2 * 2 * 0.2); // 2 instances × 2 h × $0.20
    assert.equal(byStage.prepare?.worstUsd, 0.5 * 0.3);
    assert.equal(byStage.deploy?.usdPerHour, 3 * 0.25);
    assert.equal(byStage.deploy?.usdPerDay, 3 * 0.25 * 24);
    assert.ok(Math.abs(projection.runWorstUsd - (0.8 + 0.15)) < 1e-9);
    assert.equal(projection.endpointUsdPerDay, 18);
    assert.deepEqual(projection.unpriced, []);
  });

  it('counts only the stages that run', () => {
    const projection = projectCost(config(), new Set(['deploy']), FIXTURE_TABLE, 'us-east-1');
    assert.equal(projection.runWorstUsd, 0);
    assert.deepEqual(
      projection.lines.map((line) => line.stage),
      ['deploy'],
    );
  });

  it('refuses a run over budget.maxRunUsd and an endpoint over budget.maxEndpointUsdPerDay, naming figure and setting', () => {
    const limited = config({
      budget: { maxRunUsd: 0.5, maxEndpointUsdPerDay: 10 },
    } as Partial<PipelineConfig>);
    const breaches = budgetBreaches(
      limited,
      projectCost(limited, new Set(['prepare', 'train', 'deploy']), FIXTURE_TABLE, 'us-east-1'),
    );
    assert.deepEqual(
      breaches.map((breach) => breach.setting),
      ['budget.maxRunUsd', 'budget.maxEndpointUsdPerDay'],
    );
    assert.match(breaches[0]?.message ?? '', /up to \$0\.95, over budget\.maxRunUsd \(\$0\.50\)/);
    assert.match(breaches[0]?.message ?? '', /train 2 × ml\.m5\.large × 2h at \$0\.20\/h = \$0\.80/);
    assert.match(
      breaches[1]?.message ?? '',
      /\$18\.00 per day .* over budget\.maxEndpointUsdPerDay \(\$10\.00\)/,
    );
    const within = config({ budget: { maxRunUsd: 1, maxEndpointUsdPerDay: 18 } } as Partial<PipelineConfig>);
    assert.deepEqual(
      budgetBreaches(
        within,
        projectCost(within, new Set(['prepare', 'train', 'deploy']), FIXTURE_TABLE, 'us-east-1'),
      ),
      [],
    );
  });

  it('never counts an unpriced instance as free: the budget cannot be checked, and says why', () => {
    const unpriced = config({
      training: { ...config().training, instanceType: 'ml.p4d.24xlarge' },
      budget: { maxRunUsd: 100 },
    } as Partial<PipelineConfig>);
    const projection = projectCost(unpriced, new Set(['train']), FIXTURE_TABLE, 'us-east-1');
    assert.equal(projection.unpriced.length, 1);
    const [breach] = budgetBreaches(unpriced, projection);
    assert.match(
      breach?.message ?? '',
      /cannot be checked: ml\.p4d\.24xlarge has no training price for us-east-1/,
    );
    // Another region has no prices at all.
    assert.equal(projectCost(config(), new Set(['train']), FIXTURE_TABLE, 'eu-west-1').unpriced.length, 1);
  });

  it('bills a run for what ran: billable seconds × instances × price, and the endpoint since it changed', () => {
    const record = {
      id: 'r',
      finishedAt: '2026-12-01T12:00:00.000Z',
      stages: {
        prepare: { action: 'ran', reasons: [], outputs: { report: { seconds: 600 } } },
        train: { action: 'ran', reasons: [], outputs: { report: { billableSeconds: 900 } } },
        deploy: { action: 'skipped', reasons: [] },
      },
    } as unknown as RunRecord;
    const state = {
      stages: {
        deploy: {
          lastSuccess: {
            finishedAt: '2026-12-01T06:00:00.000Z',
            inputs: { config: { deploy: { instanceType: 'ml.m5.large', instanceCount: 3 } } },
          },
        },
      },
    } as unknown as PipelineState;
    const cost = costOfRun(record, config(), state, FIXTURE_TABLE, 'us-east-1');
    assert.equal(cost.jobs.train?.usd, (900 * 2 * 0.2) / 3600);
    assert.equal(cost.jobs.prepare?.usd, (600 * 1 * 0.3) / 3600);
    assert.ok(Math.abs(cost.jobsUsd - (0.1 + 0.05)) < 1e-9);
    assert.equal(cost.endpoint?.hours, 6);
    assert.equal(cost.endpoint?.usdPerDay, 18);
    assert.equal(cost.endpoint?.usdSinceChange, 4.5);
    assert.deepEqual(cost.prices, { retrievedAt: FIXTURE_TABLE.retrievedAt, source: FIXTURE_TABLE.source });
    assert.deepEqual(recordedCost({ ...record, cost: JSON.parse(JSON.stringify(cost)) }), cost);
    assert.equal(recordedCost(record), undefined);
  });

  it('the run’s summary, report and diff show what it cost', () => {
    const priced = (id: string, jobsUsd: number) =>
      ({
        id,
        status: 'succeeded',
        config: { name: 'p' },
        stages: { train: { action: 'ran', reasons: [] } },
        cost: {
          region: 'us-east-1',
          prices: { retrievedAt: FIXTURE_TABLE.retrievedAt, source: FIXTURE_TABLE.source },
          jobs: {
            train: { use: 'training', instanceType: 'ml.m5.large', instances: 2, seconds: 900, usd: jobsUsd },
          },
          jobsUsd,
          unpriced: [],
          endpoint: { instanceType: 'ml.m5.large', instances: 3, since: 'x', hours: 1, usdPerDay: 18 },
          projectedWorstUsd: 0.8,
        },
      }) as unknown as RunRecord;
    const markdown = costMarkdown(priced('b', 0.1)) ?? '';
    assert.match(markdown, /### Cost/);
    assert.match(markdown, /\| train \| 2 × ml\.m5\.large \(training\) \| 900 s \| \$0\.10 \|/);
    assert.match(markdown, /Jobs: \*\*\$0\.10\*\* \(at most \$0\.80 projected\)/);
    assert.match(markdown, /Endpoint: 3 × ml\.m5\.large, \$18\.00 per day/);
    assert.match(runEndHtml(priced('b', 0.1)), /<h2[^>]*>Cost<\/h2>.*<td>\$0\.10<\/td>/);
    const diff = diffRuns(
      { record: priced('a', 0.05), status: 'succeeded' },
      { record: priced('b', 0.1), status: 'succeeded' },
    );
    assert.deepEqual(diff.cost, [
      { path: 'jobsUsd', before: 0.05, after: 0.1 },
      { path: 'endpointUsdPerDay', before: 18, after: 18 },
    ]);
  });

  it('reads and writes the table, and says what is wrong with a damaged one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prices-'));
    try {
      const file = join(dir, 'sagemaker-prices.json');
      assert.deepEqual(await readPriceTable(file), { ok: false, error: { kind: 'missing', file } });
      await writePriceTable(file, FIXTURE_TABLE);
      const read = await readPriceTable(file);
      assert.ok(read.ok);
      assert.deepEqual(read.value, FIXTURE_TABLE);
      assert.match(await readFile(file, 'utf8'), /"ml\.m5\.large": \{\n\s+"training": 0\.2,/);
      await writeFile(
        file,
        JSON.stringify({ ...FIXTURE_TABLE, regions: { 'us-east-1': { 'ml.m5.large': { gpu: 1 } } } }),
      );
      const damaged = await readPriceTable(file);
      assert.ok(!damaged.ok && damaged.error.kind === 'unreadable');
      assert.match(
        damaged.error.kind === 'unreadable' ? damaged.error.detail : '',
        /regions\.us-east-1\.ml\.m5\.large\.gpu: the uses are/,
      );
      assert.match(priceTableProblem({ ...FIXTURE_TABLE, retrievedAt: 'yesterday' }) ?? '', /retrievedAt/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes a Price List entry’s on-demand hourly price by its meter, and ignores other meters', () => {
    const entry = (usagetype: string, usd: string, unit = 'Hrs') =>
      JSON.stringify({
        product: {
          productFamily: 'ML Instance',
          attributes: { usagetype, instanceName: usagetype.split(':')[1] },
        },
        terms: {
          OnDemand: {
            'SKU.TERM': { priceDimensions: { 'SKU.TERM.DIM': { unit, pricePerUnit: { USD: usd } } } },
          },
        },
      });
    assert.deepEqual(priceOfEntry(entry('USE1-Train:ml.m5.large', '0.1150000000')), [
      'ml.m5.large',
      'training',
      0.115,
    ]);
    assert.deepEqual(priceOfEntry(entry('EUW1-Host:ml.c5.xlarge', '0.23')), [
      'ml.c5.xlarge',
      'hosting',
      0.23,
    ]);
    assert.deepEqual(priceOfEntry(entry('USE1-Tsform:ml.m5.large', '0.115')), [
      'ml.m5.large',
      'transform',
      0.115,
    ]);
    assert.deepEqual(priceOfEntry(entry('USE1-Processing:ml.m5.large', '0.115')), [
      'ml.m5.large',
      'processing',
      0.115,
    ]);
    assert.equal(priceOfEntry(entry('USE1-AsyncInf:ml.m5.large', '0.115')), undefined);
    assert.equal(priceOfEntry(entry('USE1-Notebk:ml.t3.medium', '0.05')), undefined);
    assert.equal(priceOfEntry(entry('USE1-Train:ml.m5.large', '0.115', 'GB-Mo')), undefined);
    assert.equal(priceOfEntry('not json'), undefined);
  });

  it('writes dollars as people read them', () => {
    assert.equal(formatUsd(0), '$0');
    assert.equal(formatUsd(0.0032), '$0.0032');
    assert.equal(formatUsd(2.5), '$2.50');
    assert.equal(formatUsd(1234.5), '$1235');
  });
});
