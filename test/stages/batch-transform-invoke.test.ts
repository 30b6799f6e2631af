// invoke.via transform on the local target (process runtime): the evaluation rows through a batch
// transform job on the deployed model give the same predictions, row for row, as the endpoint
// path; with MultiRecord under a 1 MB payload limit that splits the rows into several mini-batches,
// and with SingleRecord.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { generateSamples } from '../../src/example/generate-example-data.js';
import { cleanUpExampleProject, freshExampleProject } from '../rig/local-target.js';
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
});
