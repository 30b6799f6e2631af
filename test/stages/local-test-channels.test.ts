// local-test without a local /opt/ml mirror: the job folder is laid out as the training job's
// will be, from the data channels and training.hyperparameters; and target local needs no role.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { spreadSample } from '../../stages/local-test.js';
import { cleanUpExampleProject, freshExampleProject } from '../rig/local-target.js';
import type { TestProject } from '../rig/project.js';

describe('local-test on the data channels, target local without a role', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject('paths');
    const yaml = (await project.read('pipeline.yaml'))
      .replace(/^ {2}context: context\n/m, '')
      .replace(/^ {2}roleArn: .*\n/m, '');
    assert.ok(!yaml.includes('context: context') && !yaml.includes('roleArn'));
    await writeFile(project.path('pipeline.yaml'), yaml);
  });
  after(() => cleanUpExampleProject(project));

  it('trains on the channels with SageMaker config files, then trains a job with the placeholder role', async () => {
    const result = await project.run(
      ['run', '--to', 'train', '--set', 'runtime=process', '--set', 'training.hyperparameters.epochs=2'],
      { real: true },
    );
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const jobDir = (await project.stageOutputs('local-test')).jobDir as string;
    const config = (name: string) => readFile(`${jobDir}/input/config/${name}`, 'utf8').then(JSON.parse);
    assert.deepEqual(Object.keys(await config('inputdataconfig.json')).sort(), ['training', 'validation']);
    assert.equal((await config('inputdataconfig.json')).training.ContentType, 'text/csv');
    const hyperparameters = await config('hyperparameters.json');
    assert.equal(hyperparameters.epochs, '3', 'localTest.hyperparameters over training.hyperparameters');
    assert.equal(hyperparameters.hidden_layers_dim, '50', 'the rest from training.hyperparameters');
    assert.equal((await config('resourceconfig.json')).current_host, 'algo-1');
    const training = await readFile(`${jobDir}/input/data/training/trainset.csv`, 'utf8');
    assert.equal(training, await project.read('context/input/data/training/trainset.csv'));
    assert.match((await project.stageOutputs('train')).jobName, /^keras-example-/);
  });
});

describe('the rows local-test sends', () => {
  it('are spread over the file, its first and last included', () => {
    const rows = Array.from({ length: 100 }, (_, index) => index);
    assert.deepEqual(spreadSample(rows, 5), [0, 25, 50, 74, 99]);
    assert.deepEqual(spreadSample(rows.slice(0, 3), 5), [0, 1, 2]);
    assert.deepEqual(spreadSample(rows, 1), [0]);
  });
});
