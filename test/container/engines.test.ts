// The WebAssembly kernel against TensorFlow.js, its reference: the `train` program on each engine
// from the same seed must reach the same weights and report the same metrics, and `serve` on
// each must answer the same probabilities. Shapes are chosen to reach every path of the kernel:
// widths that are not multiples of 4 (padding), 50 units (four-vector blocks and a tail), no hidden
// layer at all (softmax regression), a last
// mini-batch shorter than the others, and a request longer than one forward chunk (256 rows).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processRuntime } from '../../src/runtimes/process-runtime.js';
import { waitForPing } from '../../src/runtimes/wait-for-ping.js';
import { freePort } from '../../src/shared/free-port.js';
import {
  containerDir,
  labelledCsv,
  prepareExampleModel,
  runTrain,
  writeJobFolder,
} from '../rig/example-model.js';
import { TestProject } from '../rig/project.js';

type Engine = 'kernel' | 'tfjs';

interface TrainedModel {
  modelDir: string;
  metricLines: Map<number, Record<string, number>>;
  weights: Float32Array;
}

async function trainOn(
  project: TestProject,
  engine: Engine,
  hyperparameters: Record<string, string>,
): Promise<TrainedModel> {
  const ml = project.path(`ml-${engine}`);
  await writeJobFolder(ml, {
    hyperparameters: { ...hyperparameters, verbose: '2' },
    channels: { training: { 'a.csv': labelledCsv(1010, 3) }, validation: { 'v.csv': labelledCsv(300, 4) } },
  });
  const result = await runTrain(ml, { TRAINING_ENGINE: engine });
  assert.equal(result.exitCode, 0, result.all);
  assert.match(result.all, new RegExp(`^engine=${engine}$`, 'm'));
  const metricLines = new Map<number, Record<string, number>>();
  for (const line of result.all.split('\n').filter((l) => l.startsWith('epoch='))) {
    const values = Object.fromEntries(
      line
        .split(' ')
        .map((pair) => pair.split('='))
        .map(([k, v]) => [k, Number(v)]),
    );
    metricLines.set(values.epoch as number, values);
  }
  const bytes = await readFile(join(ml, 'model', 'weights.bin'));
  return {
    modelDir: join(ml, 'model'),
    metricLines,
    weights: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
  };
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let largest = 0;
  for (let i = 0; i < a.length; i++)
    largest = Math.max(largest, Math.abs((a[i] as number) - (b[i] as number)));
  return largest;
}

describe('the kernel and TensorFlow.js', () => {
  let project: TestProject;
  before(async () => {
    await prepareExampleModel();
    project = await TestProject.create();
  });
  after(() => project?.remove());

  for (const shape of [
    { num_hidden_layers: '2', hidden_layers_dim: '50', learning_rate: '0.3' },
    { num_hidden_layers: '3', hidden_layers_dim: '7', learning_rate: '0.3' },
    // Without a hidden layer the raw features reach the softmax: at 0.3 SGD oscillates, and
    // float rounding (kernel or TensorFlow.js, neither is wrong) decides the path.
    { num_hidden_layers: '0', hidden_layers_dim: '1', learning_rate: '0.01' },
  ]) {
    it(`train to the same weights and metrics (${shape.num_hidden_layers} × ${shape.hidden_layers_dim} units)`, async () => {
      const hyperparameters = {
        ...shape,
        epochs: '3',
        minibatch_size: '25',
        seed: '7',
      };
      const kernel = await trainOn(project, 'kernel', hyperparameters);
      const tfjs = await trainOn(project, 'tfjs', hyperparameters);
      assert.deepEqual([...kernel.metricLines.keys()], [1, 2, 3]);
      assert.deepEqual([...tfjs.metricLines.keys()], [1, 2, 3]);
      for (const [epoch, expected] of tfjs.metricLines) {
        const actual = kernel.metricLines.get(epoch) ?? {};
        for (const [name, value] of Object.entries(expected)) {
          // Printed with 4 decimals: one unit of the last place apart at most.
          assert.ok(
            Math.abs((actual[name] as number) - value) <= 1.5e-4,
            `epoch ${epoch} ${name}: ${actual[name]} vs ${value}`,
          );
        }
      }
      const difference = largestDifference(kernel.weights, tfjs.weights);
      assert.ok(difference < 1e-4, `weights differ by up to ${difference}`);
    });
  }

  it('serve the same probabilities', async () => {
    const { modelDir } = await trainOn(project, 'kernel', { epochs: '2', learning_rate: '0.5' });
    const rows = labelledCsv(300, 9)
      .split('\n')
      .map((line) => line.split(',').slice(0, 2).join(','))
      .join('\n');
    const answers: Record<Engine, number[][]> = { kernel: [], tfjs: [] };
    for (const engine of ['kernel', 'tfjs'] as const) {
      const logs: string[] = [];
      const server = await processRuntime.serve({
        image: { runtime: 'process', image: 'test', programDir: containerDir, contentHash: 'x' },
        modelDir,
        port: await freePort(),
        env: { SERVING_ENGINE: engine },
        log: (line) => logs.push(line),
      });
      try {
        await waitForPing(server, 30);
        const response = await fetch(`${server.url}/invocations`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/csv', Accept: 'application/json' },
          body: rows,
        });
        assert.equal(response.status, 200);
        answers[engine] = ((await response.json()) as { predictions: number[][] }).predictions;
        assert.ok(logs.includes(`engine=${engine}`), logs.join('\n'));
      } finally {
        await server.stop(5);
      }
    }
    assert.equal(answers.kernel.length, 300);
    const difference = largestDifference(
      Float32Array.from(answers.kernel.flat()),
      Float32Array.from(answers.tfjs.flat()),
    );
    assert.ok(difference < 1e-5, `probabilities differ by up to ${difference}`);
  });
});
