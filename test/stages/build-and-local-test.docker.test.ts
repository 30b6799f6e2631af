// The build and local-test stages through the real `pipeline` CLI, on the repository's own
// pipeline.yaml and example model, with both runtimes for real.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { leftoverContainers, requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { exampleProject, prepareExampleModel } from '../rig/example-model.js';
import { type TestProject, waitFor } from '../rig/project.js';

const outputsOf = (project: TestProject, stage: string) => project.stageOutputs(stage);

describe('build and local-test', () => {
  let project: TestProject;
  before(async () => {
    await prepareExampleModel();
    project = await exampleProject();
  });
  after(async () => {
    await project.remove();
  });

  it('with the process runtime: compiles, trains against a copy of context/, serves, checks every row', async () => {
    const result = await project.run(['run', '--to', 'local-test', '--set', 'runtime=process'], {
      real: true,
    });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /runtime: process/);
    assert.match(result.stdout, /epoch=3 loss=/);
    const build = await outputsOf(project, 'build');
    assert.equal(build.runtime, 'process');
    assert.match(build.contentHash, /^sha256:[0-9a-f]{64}$/);
    const localTest = await outputsOf(project, 'local-test');
    assert.equal(localTest.rowsChecked, 15);
    assert.deepEqual(localTest.modelFiles, ['model.json', 'weights.bin']);
    // The user's context/ is untouched: no model was written into it.
    const hyperparameters = JSON.parse(await project.read('context/input/config/hyperparameters.json'));
    assert.equal(hyperparameters.epochs, '200');
    await assert.rejects(project.read('context/model/model.json'));

    const again = await project.run(['run', '--to', 'local-test', '--set', 'runtime=process'], {
      real: true,
    });
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /local-test\s+skipped: up to date/);
  });

  it('shows the failure file when training fails, with exit code 1', async () => {
    const result = await project.run(
      [
        'run',
        '--to',
        'local-test',
        '--set',
        'runtime=process',
        '--set',
        'localTest.hyperparameters.epochs=zero',
      ],
      { real: true },
    );
    assert.equal(result.exitCode, 1);
    assert.match(
      result.stderr,
      /stage local-test failed: local training failed \(exit 1\): invalid hyperparameters: epochs must be a whole number/,
    );
    assert.match(result.stderr, /The job folder is kept for inspection: .*\.pipeline\/local-test\/opt-ml/);
  });

  it('with the docker runtime: builds the image, trains and serves it in containers, leaves none behind', async (t) => {
    if (!(await requireDocker(t))) return;
    const env = { PIPELINE_BASE_IMAGE: TEST_BASE_IMAGE };
    const result = await project.run(['run', '--to', 'local-test', '--set', 'runtime=docker'], {
      env,
      real: true,
    });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const build = await outputsOf(project, 'build');
    assert.equal(build.runtime, 'docker');
    assert.match(build.imageId, /^sha256:[0-9a-f]{64}$/);
    const inspected = await execa('docker', [
      'image',
      'inspect',
      '--format',
      '{{.Id}}',
      'keras-example:latest',
    ]);
    assert.equal(inspected.stdout.trim(), build.imageId);
    assert.match(result.stdout, /training \(docker\)/);
    assert.equal((await outputsOf(project, 'local-test')).rowsChecked, 15);
    assert.deepEqual(await leftoverContainers(), []);
  });

  it('stops its containers on Ctrl-C and on SIGTERM, exits 130 or 143, and the next run completes', async (t) => {
    if (!(await requireDocker(t))) return;
    const env = { PIPELINE_BASE_IMAGE: TEST_BASE_IMAGE };
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      // Many epochs: the signal lands while the training container runs.
      const args = [
        'run',
        '--to',
        'local-test',
        '--set',
        'runtime=docker',
        '--set',
        'localTest.hyperparameters.epochs=300',
      ];
      const child = project.spawn(args, { env, real: true });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      let result: Awaited<typeof child>;
      try {
        await waitFor(
          async () => (/epoch=1 loss=/.test(output) ? true : undefined),
          'training to start in its container',
          300,
        );
        assert.equal((await leftoverContainers()).length, 1, 'the training container runs');
      } finally {
        // Also when a check above fails: the run must not go on training after the test.
        child.kill(signal);
        result = await child;
      }
      assert.equal(result.exitCode, code, String(result.stderr));
      assert.match(String(result.stderr), /interrupted during local-test/);
      assert.deepEqual(await leftoverContainers(), [], `no container left after ${signal}`);
    }
    const again = await project.run(['run', '--to', 'local-test', '--set', 'runtime=docker'], {
      env,
      real: true,
    });
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    assert.deepEqual(await leftoverContainers(), []);
  });
});
