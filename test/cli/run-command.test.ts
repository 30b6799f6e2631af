// `pipeline run`, `plan` and `status` end to end through the CLI, with the test stages.
// The cases are steps of one scenario on one project: each starts from the state the one
// before it left.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { BASE_CONFIG, TestProject, testCli, waitFor, withProject } from '../rig/project.js';

describe('pipeline run', () => {
  let project: TestProject;
  before(async () => {
    project = await TestProject.create();
  });
  after(async () => {
    await project.remove();
  });

  it('runs every stage the first time, and nothing the second', async () => {
    const first = await project.run(['run']);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.deepEqual(await project.executedSince(0), ['build', 'upload', 'train', 'deploy']);
    assert.match(first.stdout, /Run \S+ succeeded/);

    const second = await project.run(['run']);
    assert.equal(second.exitCode, 0, second.stderr);
    assert.deepEqual(await project.executedSince(4), []);
    assert.match(second.stdout, /build\s+skipped: up to date/);
  });

  it('re-runs train and deploy only when a hyperparameter changes, and says which', async () => {
    const before = (await project.executions()).length;
    await project.write({ 'pipeline.yaml': BASE_CONFIG.replace('epochs: 3', 'epochs: 5') });
    const plan = await project.run(['plan']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(plan.stdout, /train\s+run\s+training\.hyperparameters\.epochs: 3 → 5/);
    assert.match(plan.stdout, /build\s+skip/);
    assert.match(plan.stdout, /upload\s+skip/);
    assert.match(plan.stdout, /deploy\s+run\s+train runs first/);

    const run = await project.run(['run']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(await project.executedSince(before), ['train', 'deploy']);
  });

  it('re-runs upload and what follows it when a data file changes, not build', async () => {
    const before = (await project.executions()).length;
    await project.write({ 'data/train.csv': '1,2,0\n3,4,1\n5,6,1\n' });
    const plan = await project.run(['plan', '--json']);
    const upload = JSON.parse(plan.stdout).stages.find((s: { name: string }) => s.name === 'upload');
    assert.deepEqual(upload.reasons, [{ kind: 'file-changed', path: 'data/train.csv', change: 'modified' }]);
    const run = await project.run(['run']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(await project.executedSince(before), ['upload', 'train', 'deploy']);
  });

  it('re-runs a stage and everything after it with --from, even when up to date', async () => {
    const before = (await project.executions()).length;
    const run = await project.run(['run', '--from', 'train']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(await project.executedSince(before), ['train', 'deploy']);
  });

  it('stops after --to and runs only the one stage with --only', async () => {
    await project.write({ 'container/train.ts': 'console.log("v2")\n' });
    let before = (await project.executions()).length;
    const to = await project.run(['run', '--to', 'upload']);
    assert.equal(to.exitCode, 0, to.stderr);
    assert.deepEqual(await project.executedSince(before), ['build']);
    assert.match(to.stdout, /train\s+skipped: not selected/);

    before = (await project.executions()).length;
    const only = await project.run(['run', '--only', 'deploy']);
    assert.equal(only.exitCode, 0, only.stderr);
    assert.deepEqual(await project.executedSince(before), ['deploy']);
  });

  it('names the valid stages for an unknown one, with exit code 2', async () => {
    const result = await project.run(['run', '--from', 'trian']);
    assert.equal(result.exitCode, 2);
    assert.match(
      result.stderr,
      /unknown stage "trian" for --from: did you mean "train"\? The stages are build, upload, train, deploy/,
    );
  });

  it('shows each stage in status, with outputs', async () => {
    const status = await project.run(['status']);
    assert.equal(status.exitCode, 0, status.stderr);
    assert.match(status.stdout, /train\s+stale\s.*build's outputs changed/);
    assert.match(status.stdout, /imageId: sha256:/);
    const json = JSON.parse((await project.run(['status', '--json'])).stdout);
    assert.deepEqual(
      json.stages.map((s: { name: string }) => s.name),
      ['build', 'upload', 'train', 'deploy'],
    );
  });

  it('writes nothing with --dry-run', async () => {
    await project.write({ 'pipeline.yaml': BASE_CONFIG.replace('epochs: 3', 'epochs: 7') });
    const before = (await project.executions()).length;
    const result = await project.run(['run', '--dry-run']);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /train\s+run/);
    assert.deepEqual(await project.executedSince(before), []);
  });
});

describe('pipeline run on a terminal', () => {
  it('draws skipped stages as skipped (○), not with a warning sign', async () => {
    await withProject({}, async (project) => {
      assert.equal((await project.run(['run'])).exitCode, 0);
      // A real pseudo-terminal (util-linux `script`), 120 columns wide, where listr2 draws its
      // live view.
      const result = await execa(
        'script',
        ['-qfec', `stty cols 120 rows 40; node ${testCli} run --from train`, '/dev/null'],
        { cwd: project.dir, env: { CI: '', NO_COLOR: '1', TERM: 'xterm' }, reject: false },
      );
      assert.equal(result.exitCode, 0, result.stdout);
      assert.match(result.stdout, /○ build\r?\n\s+↓ build: not selected by --from train/);
      assert.doesNotMatch(result.stdout, /⚠/);
    });
  });
});

describe('pipeline run, when a stage fails', () => {
  it('exits 1 with the stage and its message, keeps what completed, and resumes at the failure', async () => {
    await withProject({}, async (project) => {
      const failed = await project.run(['run'], { env: { TEST_FAIL_STAGE: 'train' } });
      assert.equal(failed.exitCode, 1);
      assert.match(failed.stderr, /stage train failed: train failed on purpose\nremote says: no/);
      assert.match(failed.stdout, /deploy\s+not run: train failed/);
      assert.deepEqual(await project.executedSince(0), ['build', 'upload']);

      const status = await project.run(['status']);
      assert.match(status.stdout, /train\s+failed\s+: train failed on purpose/);

      const resumed = await project.run(['run']);
      assert.equal(resumed.exitCode, 0, resumed.stderr);
      assert.deepEqual(await project.executedSince(2), ['train', 'deploy']);
    });
  });

  it('reports a bug in a stage without a stack trace unless --verbose', async () => {
    await withProject({}, async (project) => {
      const quiet = await project.run(['run'], { env: { TEST_BUG_STAGE: 'build' } });
      assert.equal(quiet.exitCode, 1);
      assert.match(quiet.stderr, /stage build failed: build has a bug/);
      assert.doesNotMatch(quiet.stderr, /at .*test-stages/);
      const verbose = await project.run(['run', '--verbose'], { env: { TEST_BUG_STAGE: 'build' } });
      assert.match(verbose.stderr, /TypeError: build has a bug\n\s+at /);
    });
  });

  it('skips a stage whose upstream ran again but produced the same outputs', async () => {
    await withProject({}, async (project) => {
      const env = { TEST_CONSTANT_BUILD: '1' };
      assert.equal((await project.run(['run'], { env })).exitCode, 0);
      await project.write({ 'container/train.ts': 'console.log("changed")\n' });
      const rerun = await project.run(['run'], { env });
      assert.equal(rerun.exitCode, 0, rerun.stderr);
      assert.deepEqual(await project.executedSince(4), ['build']);
      assert.match(rerun.stdout, /train\s+skipped: up to date \(upstream outputs unchanged\)/);
    });
  });
});

describe('pipeline run, when interrupted', () => {
  it('exits 130, keeps the remote handle, and re-attaches to it on the next run', async () => {
    await withProject({}, async (project) => {
      const child = project.spawn(['run'], { env: { TEST_HANG_STAGE: 'train' } });
      // Wait until the stage has saved its handle, then press Ctrl-C.
      const { job } = await waitFor(() => project.savedHandle('train'), 'the train stage to save its handle');
      child.kill('SIGINT');
      const result = await child;
      assert.equal(result.exitCode, 130);
      assert.match(String(result.stderr), /interrupted during train/);

      const status = await project.run(['status']);
      assert.match(status.stdout, new RegExp(`train\\s+interrupted.*will re-attach to \\{"job":"${job}"\\}`));

      const resumed = await project.run(['run']);
      assert.equal(resumed.exitCode, 0, resumed.stderr);
      const executions = await project.executions();
      assert.ok(
        executions.includes(`train ${executions.at(-2)?.split(' ')[1]} resumed ${job}`),
        executions.join('\n'),
      );
    });
  });
});

describe('pipeline run, interrupted in process (an injected signal source)', () => {
  it('stops at the first Ctrl-C with exit 130, and a second one ends the process at once', async () => {
    await withProject({}, async (project) => {
      const signals = Object.assign(new EventEmitter(), { exits: [] as number[] });
      const source = {
        on: signals.on.bind(signals),
        off: signals.off.bind(signals),
        exit: (code: number) => void signals.exits.push(code),
      };
      process.env.TEST_HANG_STAGE = 'train';
      try {
        const running = project.runInProcess(['run', '--json'], { signals: source });
        await waitFor(
          async () => (await project.savedHandle('train')) ?? undefined,
          'train to save its handle',
        );
        signals.emit('SIGINT');
        signals.emit('SIGINT');
        const result = await running;
        assert.equal(result.exitCode, 130, result.stderr);
        assert.match(result.stderr, /interrupted during train/);
        assert.deepEqual(signals.exits, [130], 'the second Ctrl-C asks for the process to end now');
        assert.equal(signals.listenerCount('SIGINT'), 0, 'the run removes its listeners');
      } finally {
        delete process.env.TEST_HANG_STAGE;
      }
    });
  });
});
