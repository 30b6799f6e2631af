// The example model's `serve` program, run for real: the SageMaker hosting contract.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/runtimes/container-runtime.js';
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

describe('serve', () => {
  let project: TestProject;
  let server: RunningServer;
  const logs: string[] = [];
  const invoke = (body: string | Buffer, headers: Record<string, string>) =>
    fetch(`${server.url}/invocations`, { method: 'POST', headers, body });

  before(async () => {
    await prepareExampleModel();
    project = await TestProject.create();
    const ml = project.path('ml');
    const rows = labelledCsv(400);
    await writeJobFolder(ml, {
      hyperparameters: { epochs: '2', learning_rate: '0.5' },
      channels: { training: { 'a.csv': rows } },
    });
    const trained = await runTrain(ml);
    assert.equal(trained.exitCode, 0, trained.all);
    server = await processRuntime.serve({
      image: { runtime: 'process', image: 'test', programDir: containerDir, contentHash: 'x' },
      modelDir: join(ml, 'model'),
      port: await freePort(),
      log: (line) => logs.push(line),
    });
    await waitForPing(server, 30);
  });
  after(async () => {
    await server?.stop(5);
    await project?.remove();
  });

  it('answers /ping with 200', async () => {
    assert.equal((await fetch(`${server.url}/ping`)).status, 200);
  });

  it('answers CSV with one row of class probabilities per row, whatever the charset parameter', async () => {
    const response = await invoke('1,2\n6,6\n\n3.5,2.5\n', { 'Content-Type': 'text/csv; charset=utf-8' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/csv');
    const rows = (await response.text())
      .trim()
      .split('\n')
      .map((line) => line.split(',').map(Number));
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.equal(row.length, 2);
      assert.ok(Math.abs((row[0] as number) + (row[1] as number) - 1) < 1e-5, 'probabilities sum to 1');
    }
  });

  it('takes and gives JSON', async () => {
    const response = await invoke(
      JSON.stringify({
        instances: [
          [1, 2],
          [6, 6],
        ],
      }),
      {
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
    );
    assert.equal(response.status, 200);
    const body = (await response.json()) as { predictions: number[][] };
    assert.equal(body.predictions.length, 2);
  });

  it('refuses what it cannot take, saying why', async () => {
    const unsupported = await invoke('x', { 'Content-Type': 'image/png' });
    assert.equal(unsupported.status, 415);
    assert.match(await unsupported.text(), /unsupported Content-Type "image\/png"/);
    const bad = await invoke('1,2\n3,abc\n', { 'Content-Type': 'text/csv' });
    assert.equal(bad.status, 400);
    assert.equal(await bad.text(), 'row 2, column 2: "abc" is not a number\n');
    const short = await invoke('1\n', { 'Content-Type': 'text/csv' });
    assert.equal(short.status, 400);
    assert.match(await short.text(), /row 1: expected 2 values, found 1/);
    const accept = await invoke('1,2\n', { 'Content-Type': 'text/csv', Accept: 'image/png' });
    assert.equal(accept.status, 406);
    const big = await invoke(Buffer.alloc(6 * 1024 * 1024 + 1, '1'), { 'Content-Type': 'text/csv' });
    assert.equal(big.status, 413);
  });

  it('answers concurrent requests correctly', async () => {
    const single = await (await invoke('6,6\n', { 'Content-Type': 'text/csv' })).text();
    const answers = await Promise.all(
      Array.from({ length: 24 }, () => invoke('6,6\n', { 'Content-Type': 'text/csv' }).then((r) => r.text())),
    );
    assert.deepEqual(new Set(answers), new Set([single]));
  });

  it('drains and exits 0 on SIGTERM', async () => {
    await server.stop(10);
    assert.equal(await server.exited, 0);
    assert.ok(logs.some((line) => line.includes('SIGTERM received')));
  });
});
