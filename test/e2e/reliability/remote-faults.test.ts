// Faults on the remote side, through the real CLI and the local SageMaker and S3: each is one
// clear message with the remote's own reason, exit code 1, and a state from which the next run,
// with the cause fixed, carries on.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readServerFacts } from '../../../src/local-sagemaker/daemon.js';
import { requireDocker } from '../../rig/docker.js';
import { containerDir } from '../../rig/example-model.js';
import { cleanUpExampleProject, freshExampleProject } from '../../rig/local-target.js';
import { type TestProject, waitFor } from '../../rig/project.js';

const PROCESS = ['--set', 'runtime=process', '--set', 'evaluate.gates=[]'];

describe('remote faults', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
  });
  after(() => cleanUpExampleProject(project));

  it('a training job that fails shows the failure reason, and the fixed config runs', async () => {
    const failed = await project.run(
      ['run', '--to', 'train', ...PROCESS, '--set', 'training.hyperparameters.epochs=zero'],
      {
        real: true,
      },
    );
    assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
    assert.match(
      failed.stderr,
      /stage train failed: the training job keras-example-\S+ failed: AlgorithmError: invalid hyperparameters: epochs must be a whole number/,
    );
    assert.match(failed.stderr, /Its whole log: /);
    const fixed = await project.run(
      ['run', '--to', 'train', ...PROCESS, '--set', 'training.hyperparameters.epochs=2'],
      {
        real: true,
      },
    );
    assert.equal(fixed.exitCode, 0, fixed.stderr);
    assert.deepEqual(await project.stagesRan(), ['train']);
  });

  it('a training job past its max runtime says so', async () => {
    const result = await project.run(
      [
        'run',
        '--to',
        'train',
        ...PROCESS,
        '--set',
        'training.hyperparameters.epochs=500',
        '--set',
        'training.maxRuntimeSeconds=2',
      ],
      { real: true },
    );
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /the training job \S+ was stopped: .*(MaxRuntimeExceeded|maxRuntimeSeconds \(2s\))/,
    );
  });

  it('an endpoint whose container never answers /ping fails with the container reason, and is replaced next time', async (t) => {
    const nativeInstalled = (() => {
      try {
        createRequire(join(containerDir, 'package.json')).resolve('@tensorflow/tfjs-node');
        return true;
      } catch {
        return false;
      }
    })();
    if (nativeInstalled)
      return t.skip('tfjs-node is installed here: forcing its backend would not break serving');
    // Forcing the native backend, which is not installed, makes `serve` exit at start.
    const broken = await project.run(
      [
        'run',
        '--to',
        'deploy',
        ...PROCESS,
        '--set',
        'training.hyperparameters.epochs=2',
        '--set',
        'deploy.environment.TFJS_BACKEND=tensorflow',
      ],
      { real: true },
    );
    assert.equal(broken.exitCode, 1, broken.stdout + broken.stderr);
    assert.match(
      broken.stderr,
      /stage deploy failed: the endpoint keras-example did not deploy \S+: Failed: .*ping health check/,
    );
    assert.match(broken.stderr + broken.stdout, /no TensorFlow\.js backend could start/);
    const fixed = await project.run(
      ['run', '--to', 'invoke', ...PROCESS, '--set', 'training.hyperparameters.epochs=2'],
      { real: true },
    );
    assert.equal(fixed.exitCode, 0, fixed.stdout + fixed.stderr);
    assert.match(
      fixed.stdout,
      /the endpoint keras-example is Failed \(The primary container[\s\S]*; replacing it/,
    );
  });

  it('the S3 server gone during an upload is a clear message, and the next run uploads', async () => {
    // 256 MiB in a channel of its own: long enough to be cut off.
    const big = project.path('big.bin');
    const { open } = await import('node:fs/promises');
    const handle = await open(big, 'w');
    const block = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < 256; i++) await handle.write(block);
    await handle.close();
    const args = ['run', '--to', 'upload', ...PROCESS, '--set', 'data.big.path=big.bin'];
    const child = project.spawn(args, { real: true });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(
      async () => (/upload: uploading 1 file\b/.test(output) ? true : undefined),
      'the upload to start',
      120,
    );
    const facts = await readServerFacts(project.path('.pipeline', 'local'));
    assert.ok(facts);
    process.kill(facts.pid, 'SIGKILL');
    const result = await child;
    assert.equal(result.exitCode, 1, String(result.stdout) + String(result.stderr));
    assert.match(
      String(result.stderr),
      /stage upload failed: uploading keras-example\/big\/big\.bin \(multipart\) failed: .+/,
    );
    assert.doesNotMatch(String(result.stderr), /\n\s+at /);
    const again = await project.run(args, { real: true });
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    const uploaded = await project.stageOutputs('upload');
    assert.equal(uploaded.channels.big.bytes, 256 * 1024 * 1024);
  });

  it('a docker engine that is gone is named, with the way around it', async (t) => {
    if (!(await requireDocker(t))) return;
    const result = await project.run(['run', '--to', 'build', '--set', 'runtime=docker'], {
      real: true,
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /no docker engine answers: start one, or set `runtime: process`/);
  });
});
