// The background local SageMaker is adopted and signalled only when it proves to be this folder's:
// a copied project does not adopt (or stop) the original's daemon, a pid reused by another program
// is never signalled, another server on the recorded port is never sent SageMaker calls; and a
// daemon that has stopped is said to have stopped, not shown as a raw ECONNREFUSED.
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import {
  ensureLocalDaemon,
  findLocalDaemon,
  findLocalDaemonWithKey,
  readServerFacts,
  serverFile,
  stopLocalDaemon,
} from '../../src/local-sagemaker/daemon.js';
import { explainAwsError } from '../../src/sagemaker/explain-aws-error.js';
import { freePort } from '../../src/shared/free-port.js';
import { isProcessAlive } from '../../src/shared/process-alive.js';
import { realCli, TestProject } from '../rig/project.js';
import { TEST_KEY } from '../rig/test-key.js';

describe("the local daemon's identity", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const project = async () => {
    const made = await TestProject.create();
    cleanups.push(() => made.remove());
    return made;
  };
  const start = async (dataDir: string) => {
    const facts = await ensureLocalDaemon({ dataDir, region: 'us-east-1', cliScript: realCli });
    cleanups.push(() => stopLocalDaemon(dataDir));
    return facts;
  };

  it('a copied project starts its own daemon, and stopping it leaves the original running', async () => {
    const original = await project();
    const originalDir = original.path('.pipeline', 'local');
    const first = await start(originalDir);
    assert.deepEqual(await findLocalDaemonWithKey(originalDir), first);

    const copy = await project();
    const copyDir = copy.path('.pipeline', 'local');
    await mkdir(copyDir, { recursive: true });
    await cp(serverFile(originalDir), serverFile(copyDir));
    assert.equal(await findLocalDaemon(copyDir), undefined, "the copy does not adopt the original's daemon");
    assert.equal(await stopLocalDaemon(copyDir), false, "the copy does not stop the original's daemon");
    assert.ok(isProcessAlive(first.pid));

    const own = await start(copyDir);
    assert.notEqual(own.pid, first.pid);
    assert.ok(isProcessAlive(first.pid) && isProcessAlive(own.pid));
    assert.equal(await stopLocalDaemon(copyDir), true);
    assert.ok(!isProcessAlive(own.pid) || (await waitGone(own.pid)));
    assert.ok(isProcessAlive(first.pid), 'the original still runs');
    assert.deepEqual(await findLocalDaemonWithKey(originalDir), first);
  });

  it('never signals a reused pid, nor takes another server on the recorded port for it', async () => {
    const stranger = await project();
    const dataDir = stranger.path('.pipeline', 'local');
    await mkdir(dataDir, { recursive: true });
    // Another program now has the pid and the port that server.json names: it answers anything.
    const other = createServer((_request, response) => response.end('<html>not SageMaker</html>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => other.close(resolve)));
    const sleeper = execa('sleep', ['600'], { reject: false });
    cleanups.push(async () => sleeper.kill('SIGKILL'));
    const { port } = other.address() as AddressInfo;
    await writeFile(
      serverFile(dataDir),
      JSON.stringify({
        pid: sleeper.pid,
        endpoint: `http://127.0.0.1:${port}`,
        s3Endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        registry: null,
        dataDir,
        startedAt: new Date().toISOString(),
        token: 'stale',
      }),
    );
    assert.equal(await findLocalDaemon(dataDir, 1), undefined);
    assert.equal(await stopLocalDaemon(dataDir), false);
    assert.ok(isProcessAlive(sleeper.pid), 'the program with the reused pid was not signalled');
    assert.equal(await readServerFacts(dataDir), undefined, 'the stale server.json is gone');
    const own = await start(dataDir);
    assert.notEqual(own.endpoint, `http://127.0.0.1:${port}`);
  });

  it('says the local SageMaker stopped, where its log is, and that run resumes', async () => {
    const port = await freePort();
    const client = new SageMakerClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: TEST_KEY,
      maxAttempts: 1,
    });
    try {
      const error = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job' })).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      const explained = explainAwsError(error, 'describing the training job job');
      assert.match(
        explained.message,
        /the local SageMaker stopped answering \(nothing listens on 127\.0\.0\.1:\d+\)/,
      );
      assert.match(explained.detail ?? '', /server\.log.*pipeline run/);
      assert.doesNotMatch(explained.message, /ECONNREFUSED/);
    } finally {
      client.destroy();
    }
  });
});

async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isProcessAlive(pid); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return !isProcessAlive(pid);
}
