// The example model reproduces the original Keras example on its own data set
// (../shared/seed-data): its settings (200 epochs), at least the original's test accuracy (0.92),
// and every one of the 15 evaluation rows right, as the original had.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../../src/local/free-port.js';
import { processRuntime } from '../../src/local/process-runtime.js';
import { waitForPing } from '../../src/local/wait-for-ping.js';
import { containerDir, prepareExampleModel, runTrain, writeJobFolder } from '../rig/example-model.js';
import { repoRoot, withProject } from '../rig/project.js';

const seed = (name: string) => readFile(join(repoRoot, '..', 'shared', 'seed-data', name), 'utf8');
const argmax = (row: number[]) => row.indexOf(Math.max(...row));

describe('the example model on the original data set', () => {
  it('reaches the original test accuracy and gets all 15 evaluation rows right', {
    timeout: 900_000,
  }, async () => {
    await prepareExampleModel();
    await withProject({}, async (project) => {
      const ml = project.path('ml');
      // The original's hyperparameters.json holds numbers; SageMaker would send strings.
      const original = JSON.parse(await seed('hyperparameters.json')) as Record<string, number | string>;
      await writeJobFolder(ml, {
        hyperparameters: Object.fromEntries(Object.entries(original).map(([k, v]) => [k, String(v)])),
        channels: {
          training: { 'trainset.csv': await seed('trainset.csv') },
          validation: { 'testset.csv': await seed('testset.csv') },
        },
      });
      const trained = await runTrain(ml);
      assert.equal(trained.exitCode, 0, trained.all);
      const last =
        trained.all
          .split('\n')
          .filter((line) => line.startsWith('epoch='))
          .at(-1) ?? '';
      assert.match(last, /^epoch=200 /);
      const testAccuracy = Number(last.match(/val_accuracy=([0-9.]+)/)?.[1]);
      assert.ok(testAccuracy >= 0.92, `test accuracy ${testAccuracy} is below the original's 0.92`);

      const server = await processRuntime.serve({
        image: { runtime: 'process', image: 'seed', programDir: containerDir, contentHash: 'x' },
        modelDir: join(ml, 'model'),
        port: await freePort(),
        log: () => undefined,
      });
      try {
        await waitForPing(server, 30);
        const response = await fetch(`${server.url}/invocations`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' },
          body: await seed('eval_data.csv'),
        });
        assert.equal(response.status, 200);
        const predicted = (await response.text())
          .trim()
          .split('\n')
          .map((l) => argmax(l.split(',').map(Number)));
        // eval_pred.csv is, despite its name, the one-hot ground truth.
        const truth = (await seed('eval_pred.csv'))
          .trim()
          .split('\n')
          .map((l) => argmax(l.split(',').map(Number)));
        assert.deepEqual(predicted, truth);
      } finally {
        await server.stop(5);
      }
    });
  });
});
