// The example model's `train` program, run for real against job folders laid out as SageMaker
// lays out /opt/ml: metrics lines, the saved model, failure files, SIGTERM.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { labelledCsv as csv, prepareExampleModel, runTrain, writeJobFolder } from '../rig/example-model.js';
import { waitFor, withProject } from '../rig/project.js';

describe('train', () => {
  before(prepareExampleModel);

  it('trains, prints one metrics line per epoch, and writes the model', async () => {
    await withProject({}, async (project) => {
      const ml = project.path('ml');
      await writeJobFolder(ml, {
        hyperparameters: { epochs: '3', minibatch_size: '50', learning_rate: '0.5', verbose: '2' },
        channels: { training: { 'a.csv': csv(1500, 1) }, validation: { 'v.csv': csv(300, 2) } },
      });
      const result = await runTrain(ml);
      assert.equal(result.exitCode, 0, result.all);
      assert.match(result.all, /^backend=(wasm|tensorflow|cpu)$/m);
      const lines = result.all.split('\n').filter((line) => line.startsWith('epoch='));
      assert.equal(lines.length, 3);
      for (const line of lines) {
        assert.match(
          line,
          /^epoch=\d+ loss=\d\.\d{4} accuracy=\d\.\d{4} val_loss=\d\.\d{4} val_accuracy=\d\.\d{4}$/,
        );
      }
      assert.deepEqual((await readdir(project.path('ml/model'))).sort(), ['model.json', 'weights.bin']);
      const manifest = JSON.parse(await readFile(project.path('ml/model/model.json'), 'utf8'));
      assert.equal(manifest.userDefinedMetadata.epochsCompleted, 3);
      assert.equal(manifest.userDefinedMetadata.hyperparameters.minibatchSize, 50);
    });
  });

  it('reads hyperparameters sent as strings or numbers, and reports every bad one in the failure file', async () => {
    await withProject({}, async (project) => {
      const ml = project.path('ml');
      await writeJobFolder(ml, {
        hyperparameters: { epochs: 'ten', init: 'zeros', minibatch_size: '0', batch: '5' },
        channels: { training: { 'a.csv': csv(100, 1) } },
      });
      const result = await runTrain(ml);
      assert.equal(result.exitCode, 1);
      const failure = await readFile(project.path('ml/output/failure'), 'utf8');
      assert.match(failure, /^invalid hyperparameters: /);
      assert.match(failure, /unknown hyperparameter "batch"/);
      assert.match(failure, /epochs must be a whole number from 1 to 1000000, not "ten"/);
      assert.match(failure, /minibatch_size must be a whole number from 1 to 10000000, not "0"/);
      assert.match(failure, /init must be one of normal, uniform, .*, not "zeros"/);
    });
  });

  it('names the file, line and column of bad training data', async () => {
    await withProject({}, async (project) => {
      const ml = project.path('ml');
      await writeJobFolder(ml, {
        hyperparameters: { epochs: '1' },
        channels: { training: { 'good.csv': csv(10, 1), 'part/bad.csv': '1,2,0,1\n3,four,1,0\n' } },
      });
      const result = await runTrain(ml);
      assert.equal(result.exitCode, 1);
      assert.equal(
        await readFile(project.path('ml/output/failure'), 'utf8'),
        'part/bad.csv:2: column 2 is not a number: "four"',
      );
    });
  });

  it('refuses label columns that are not one-hot rows, naming the file and line', async () => {
    await withProject({}, async (project) => {
      const ml = project.path('ml');
      await writeJobFolder(ml, {
        hyperparameters: { epochs: '1' },
        // A class index where two one-hot columns should be: the row has the right width.
        channels: { training: { 'good.csv': csv(10, 1), 'labels.csv': '1,2,0,1\n3,4,2,0\n' } },
      });
      const result = await runTrain(ml);
      assert.equal(result.exitCode, 1);
      assert.equal(
        await readFile(project.path('ml/output/failure'), 'utf8'),
        'labels.csv:2: the last 2 columns must be a one-hot label (one 1, the rest 0), found 2,0',
      );
    });
  });

  it('trains with a minibatch_size larger than the data set (one batch per epoch)', async () => {
    await withProject({}, async (project) => {
      const ml = project.path('ml');
      await writeJobFolder(ml, {
        // The kernel sizes its buffers by the batch: ten million rows would not fit its memory.
        hyperparameters: { epochs: '2', minibatch_size: '10000000', verbose: '2' },
        channels: { training: { 'a.csv': csv(500, 1) } },
      });
      const result = await runTrain(ml);
      assert.equal(result.exitCode, 0, result.all);
      assert.equal(result.all.split('\n').filter((line) => line.startsWith('epoch=')).length, 2);
    });
  });

  it('saves the model trained so far on SIGTERM, and exits 143', async () => {
    await withProject({}, async (project) => {
      const ml = project.path('ml');
      await writeJobFolder(ml, {
        hyperparameters: { epochs: '100000', verbose: '2' },
        channels: { training: { 'a.csv': csv(500, 1) } },
      });
      const child = runTrain(ml);
      let output = '';
      child.all?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      await waitFor(async () => (/^epoch=2 /m.test(output) ? true : undefined), 'two epochs');
      child.kill('SIGTERM');
      const result = await child;
      assert.equal(result.exitCode, 143, result.all);
      assert.match(result.all, /SIGTERM received/);
      const manifest = JSON.parse(await readFile(project.path('ml/model/model.json'), 'utf8'));
      assert.ok(manifest.userDefinedMetadata.epochsCompleted >= 2);
    });
  });
});
