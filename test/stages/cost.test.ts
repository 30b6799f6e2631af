// Cost through the real CLI on the example project (process runtime): `pipeline prices --update`
// reads the Price List (a stand-in server, AWS's being cloud-only; its prices are made up), the plan
// projects each stage at worst, a budget below the projection refuses the run before anything
// starts, and a run records what its jobs were billed, shown by runs, show and the report.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { cleanUpExampleProject, freshExampleProject } from '../rig/local-target.js';
import { type PriceListServer, priceListEntry, startPriceListServer } from '../rig/price-list.js';
import type { TestProject } from '../rig/project.js';

const PRICES = {
  'us-east-1': [
    priceListEntry('us-east-1', 'USE1-Train:ml.m5.large', '0.2000000000', 'Training'),
    priceListEntry('us-east-1', 'USE1-Host:ml.m5.large', '0.2500000000', 'Hosting'),
    priceListEntry('us-east-1', 'USE1-Processing:ml.m5.large', '0.3000000000', 'Processing'),
    priceListEntry('us-east-1', 'USE1-AsyncInf:ml.m5.large', '9.0000000000', 'AsyncInference'),
    priceListEntry('us-east-1', 'USE1-Host:ml.t2.medium', '0.1000000000', 'Hosting'),
  ],
};
const RUN = [
  '--set',
  'runtime=process',
  '--set',
  'localTest.hyperparameters.epochs=1',
  '--set',
  'training.hyperparameters.epochs=5',
];

describe('cost: prices, projections, the budget and what each run cost', () => {
  let project: TestProject;
  let priceList: PriceListServer;
  let env: Record<string, string>;
  before(async () => {
    [project, priceList] = await Promise.all([freshExampleProject(), startPriceListServer(PRICES, 2)]);
    env = {
      AWS_ENDPOINT_URL_PRICING: priceList.url,
      AWS_ACCESS_KEY_ID: 'AKIDPRICELISTTEST',
      AWS_SECRET_ACCESS_KEY: 'price-list-test-secret',
      AWS_REGION: 'us-east-1',
    };
  });
  after(async () => {
    await priceList.close();
    await cleanUpExampleProject(project);
  });

  it('pipeline prices --update reads every page of the Price List into the table, and prices shows it', async () => {
    const none = await project.run(['prices'], { env });
    assert.equal(none.exitCode, 0, none.stderr);
    assert.match(
      none.stdout,
      /No price table \(sagemaker-prices\.json\): `pipeline prices --update` writes one/,
    );

    const update = await project.run(['prices', '--update'], { env });
    assert.equal(update.exitCode, 0, update.stderr);
    assert.match(update.stdout, /sagemaker-prices\.json: 2 instance types in us-east-1/);
    // Five entries, two a page: three requests, each filtered to the region and to ML instances.
    assert.equal(priceList.requests.length, 3);
    assert.deepEqual(priceList.requests[0]?.Filters, [
      { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' },
      { Type: 'TERM_MATCH', Field: 'productFamily', Value: 'ML Instance' },
    ]);
    const table = JSON.parse(await project.read('sagemaker-prices.json'));
    assert.deepEqual(table.regions, {
      'us-east-1': {
        'ml.m5.large': { training: 0.2, hosting: 0.25, processing: 0.3 },
        'ml.t2.medium': { hosting: 0.1 },
      },
    });
    assert.match(table.source, /AWS Price List Query API/);
    assert.ok(Date.now() - Date.parse(table.retrievedAt) < 600_000);

    const shown = await project.run(['prices'], { env });
    assert.equal(shown.exitCode, 0, shown.stderr);
    assert.match(shown.stdout, /train\s+ml\.m5\.large \(training\): \$0\.20\/h/);
    assert.match(shown.stdout, /deploy\s+ml\.t2\.medium \(hosting\): \$0\.10\/h/);
    assert.match(shown.stdout, /prepare\s+ml\.m5\.large \(processing\): \$0\.30\/h/);

    const unknown = await project.run(['prices', '--update', '--region', 'xx-nowhere-1'], { env });
    assert.equal(unknown.exitCode, 1);
    assert.match(unknown.stderr, /the Price List has no SageMaker instance price for xx-nowhere-1/);
  });

  it('the plan projects each stage at worst, the endpoint per day, on SageMaker’s prices for target local', async () => {
    const plan = await project.run(['plan', ...RUN], { env });
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(
      plan.stdout,
      /Cost at worst, on demand on SageMaker in us-east-1 \(target local bills nothing\); prices of \d{4}-\d\d-\d\d/,
    );
    // The example trains on 1 × ml.m5.large for at most an hour; prepare likewise for its maximum.
    assert.match(
      plan.stdout,
      /train\s+1 × ml\.m5\.large \(training\) up to 1h at \$0\.20\/h: at most \$0\.20/,
    );
    assert.match(
      plan.stdout,
      /deploy\s+1 × ml\.t2\.medium \(hosting\) at \$0\.10\/h: \$0\.10 per hour, \$2\.40 per day/,
    );
    const json = JSON.parse((await project.run(['plan', '--json', ...RUN], { env })).stdout);
    assert.equal(json.cost.projection.region, 'us-east-1');
    assert.ok(json.cost.projection.runWorstUsd > 0.2);
  });

  it('a budget below the projection refuses the run before anything starts, naming the figure and the setting', async () => {
    for (const [setting, named] of [
      ['budget.maxRunUsd=0.1', /this run may cost up to \$\d+\.\d\d, over budget\.maxRunUsd \(\$0\.10\)/],
      [
        'budget.maxEndpointUsdPerDay=1',
        /the endpoint would cost \$2\.40 per day .* over budget\.maxEndpointUsdPerDay \(\$1\.00\)/,
      ],
    ] as const) {
      const refused = await project.run(['run', ...RUN, '--set', setting], { env });
      assert.equal(refused.exitCode, 1, refused.stderr);
      assert.match(refused.stderr, named);
      assert.match(refused.stderr, /Nothing was started/);
    }
    // Nothing ran: no local SageMaker, no run record, no build.
    assert.equal(existsSync(project.path('.pipeline', 'local', 'server.json')), false);
    assert.equal(existsSync(project.path('.pipeline', 'runs')), false);
  });

  it('a run records what its jobs were billed; runs, show and the experiments page show it', async () => {
    const ran = await project.run(['run', ...RUN, '--to', 'train', '--set', 'budget.maxRunUsd=10'], {
      env,
      real: true,
    });
    assert.equal(ran.exitCode, 0, ran.stderr);
    assert.match(ran.stdout, /Cost: jobs \$\S+ \(on demand, us-east-1, prices of \d{4}-\d\d-\d\d\)/);
    const records = (await readdir(project.path('.pipeline', 'runs'))).filter((name) =>
      name.endsWith('.json'),
    );
    const record = JSON.parse(await project.read(`.pipeline/runs/${records.sort().at(-1)}`));
    const cost = record.cost;
    const train = cost.jobs.train;
    assert.equal(train.instanceType, 'ml.m5.large');
    assert.ok(train.seconds >= 1);
    assert.equal(train.usd, (train.seconds * 1 * 0.2) / 3600);
    const prepare = cost.jobs.prepare;
    assert.equal(prepare.use, 'processing');
    assert.equal(prepare.usd, (prepare.seconds * 1 * 0.3) / 3600);
    assert.ok(Math.abs(cost.jobsUsd - (train.usd + prepare.usd)) < 1e-12);
    assert.ok(cost.projectedWorstUsd >= cost.jobsUsd);

    const runs = await project.run(['runs'], { env });
    assert.match(runs.stdout, /COST/);
    assert.match(runs.stdout, /\$0\.\d+/);
    const show = await project.run(['show', 'last'], { env });
    assert.match(
      show.stdout,
      /Cost \(on demand, us-east-1, prices of .*\):\n {2}prepare: 1 × ml\.m5\.large \(processing\) for \d+s: \$/,
    );
    assert.match(show.stdout, / {2}train: 1 × ml\.m5\.large \(training\) for \d+s: \$/);
    const report = await project.run(['report'], { env });
    assert.equal(report.exitCode, 0, report.stderr);
    const page = await readFile(project.path('.pipeline', 'experiments.html'), 'utf8');
    assert.match(page, /aria-label="cost of the jobs \(USD\) over runs"/);
    assert.match(page, /<th>cost \(USD\)<\/th>/);
  });
});
