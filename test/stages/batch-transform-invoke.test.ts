// invoke.via transform on the local target (process runtime): the evaluation rows through a batch
// transform job on the deployed model give the same predictions, row for row, as the endpoint
// path; with MultiRecord under a 1 MB payload limit that splits the rows into several mini-batches,
// and with SingleRecord.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ListEndpointsCommand, ListModelsCommand } from '@aws-sdk/client-sagemaker';
import { generateSamples } from '../../src/example/generate-example-data.js';
import { cleanUpExampleProject, freshExampleProject, localTargetOf } from '../rig/local-target.js';
import type { TestProject } from '../rig/project.js';

const BASE = [
  'run',
  '--set',
  'runtime=process',
  '--set',
  'training.hyperparameters.epochs=5',
  '--set',
  'localTest.hyperparameters.epochs=1',
  '--set',
  'evaluate.gates=[]',
  '--set',
  'deploy.strategy=replace',
];
const BIG = [
  '--set',
  'invoke.data=data/eval/big.csv',
  '--set',
  'evaluate.groundTruth=data/eval/big_truth.csv',
];
const TRANSFORM = ['--set', 'invoke.via=transform'];

describe('invoke.via transform', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
    // 60,000 rows: more than 1 MB, so that a 1 MB payload limit splits them.
    const samples = generateSamples(60_000, 11);
    await project.write({
      'data/eval/big.csv': `${samples.map((s) => s.features.join(',')).join('\n')}\n`,
      'data/eval/big_truth.csv': `${samples.map((s) => (s.label === 0 ? '1,0' : '0,1')).join('\n')}\n`,
    });
  });
  after(() => cleanUpExampleProject(project));

  async function predictions(args: string[]): Promise<string[]> {
    const result = await project.run(args, { real: true });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const invoked = await project.stageOutputs('invoke');
    return (await project.read(invoked.report.predictionsFile)).trimEnd().split('\n');
  }

  /** How many mini-batches the local SageMaker's transform job sent, from its log. */
  async function miniBatches(jobName: string): Promise<number> {
    const log = await project.read(`.pipeline/local/sagemaker/transform-jobs/${jobName}/log.jsonl`);
    return Number(/: (\d+) mini-batch/.exec(log)?.[1] ?? 0);
  }

  it('gives the endpoint path’s predictions, row for row, with MultiRecord split under 1 MB', async () => {
    const endpoint = await predictions([...BASE, ...BIG]);
    assert.equal(endpoint.length, 60_000);
    const transformed = await predictions([
      ...BASE,
      ...BIG,
      ...TRANSFORM,
      '--set',
      'invoke.transform.maxPayloadInMB=1',
    ]);
    assert.deepEqual(transformed, endpoint);
    const { report } = await project.stageOutputs('invoke');
    assert.match(report.transformJob, /^keras-example-transform-/);
    assert.ok((await miniBatches(report.transformJob)) >= 2, 'the 1 MB limit split the rows');
    assert.ok((await project.stageOutputs('evaluate')).metrics.accuracy > 0.5);
  });

  it('gives the same predictions with SingleRecord, one row per request', async () => {
    const endpoint = await predictions(BASE);
    const single = await predictions([
      ...BASE,
      ...TRANSFORM,
      '--set',
      'invoke.transform.batchStrategy=SingleRecord',
    ]);
    assert.equal(single.length, 15);
    assert.deepEqual(single, endpoint);
    const { report } = await project.stageOutputs('invoke');
    assert.equal(await miniBatches(report.transformJob), 15);
    const jobs = await readdir(project.path('.pipeline/local/sagemaker/transform-jobs'));
    assert.equal(jobs.length, 2, 'one job per transformed invoke');
  });

  it('an id column in the rows: filtered out before the model, joined back, and the answer kept', async () => {
    const endpoint = await predictions(BASE);
    const rows = (await project.read('data/eval/eval_data.csv')).trimEnd().split('\n');
    await project.write({
      'data/eval/with-id.csv': `${rows.map((row, index) => `row-${index},${row}`).join('\n')}\n`,
    });
    const filtered = await predictions([
      ...BASE,
      ...TRANSFORM,
      '--set',
      'invoke.data=data/eval/with-id.csv',
      '--set',
      'invoke.transform.inputFilter=$[1:]',
      '--set',
      'invoke.transform.joinSource=Input',
      '--set',
      'invoke.transform.outputFilter=$[3:]',
    ]);
    assert.deepEqual(filtered, endpoint);
  });

  it('deploy.enabled false: with transform, only the model is made and evaluated; without, no endpoint stage runs', async () => {
    const before = await endpointsAndModels();
    const modelOnly = [...BASE, ...TRANSFORM, '--set', 'deploy.enabled=false'];
    const plan = await project.run(['plan', ...modelOnly.slice(1)], { real: true });
    assert.match(
      plan.stdout,
      /deploy\s+run .*\n(.*\n)*?\s+note: deploy\.enabled is false: only the model is made, for invoke's transform job; no endpoint/,
    );
    const transformed = await predictions(modelOnly);
    assert.equal(transformed.length, 15);
    const deployed = await project.stageOutputs('deploy');
    assert.equal(deployed.endpointName, undefined);
    assert.equal(
      (await project.stageOutputs('invoke')).report.transformJob.startsWith('keras-example-transform-'),
      true,
    );
    assert.ok((await project.stageOutputs('evaluate')).metrics.accuracy > 0.5);
    const after = await endpointsAndModels();
    // The endpoint the earlier runs made is left serving (destroy deletes it), and said to be.
    assert.deepEqual(after.endpoints, before.endpoints);
    assert.ok(after.models.includes(deployed.deploymentName));

    // Without transform there is nothing to deploy for: deploy, invoke and evaluate are skipped, and why.
    const noEndpoint = [
      ...BASE,
      '--set',
      'deploy.enabled=false',
      '--set',
      'training.hyperparameters.epochs=6',
    ];
    const skipped = await project.run(['plan', ...noEndpoint.slice(1)], { real: true });
    assert.match(skipped.stdout, /deploy\s+skip\s+deploy\.enabled is false: no endpoint is made/);
    assert.match(skipped.stdout, /invoke\s+skip\s+deploy\.enabled is false: no endpoint to send the rows to/);
    assert.match(
      skipped.stdout,
      /evaluate\s+skip\s+deploy\.enabled is false: nothing is invoked to evaluate/,
    );
    const ran = await project.run(noEndpoint, { real: true });
    assert.equal(ran.exitCode, 0, ran.stdout + ran.stderr);
    const { stages } = await project.lastRunRecord();
    assert.equal(stages.train?.action, 'ran');
    for (const stage of ['deploy', 'invoke', 'evaluate']) assert.equal(stages[stage]?.action, 'skipped');
  });

  async function endpointsAndModels() {
    const target = await localTargetOf(project);
    try {
      const endpoints = (await target.sagemaker.send(new ListEndpointsCommand({}))).Endpoints ?? [];
      const models = (await target.sagemaker.send(new ListModelsCommand({}))).Models ?? [];
      return {
        endpoints: endpoints.map((e) => `${e.EndpointName}:${e.EndpointStatus}`),
        models: models.map((m) => m.ModelName as string),
      };
    } finally {
      target.close();
    }
  }
});
