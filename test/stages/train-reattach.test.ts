// A training job outlives the CLI that started it: Ctrl-C and kill -9 during training leave it
// running in the local SageMaker, and the next `pipeline run` re-attaches to that same job.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListTrainingJobsCommand } from '@aws-sdk/client-sagemaker';
import { cleanUpExampleProject, freshExampleProject, localTargetOf } from '../rig/local-target.js';
import { type TestProject, waitFor } from '../rig/project.js';

// Long enough (about 15 s here) to be interrupted twice.
const ARGS = [
  'run',
  '--to',
  'train',
  '--set',
  'runtime=process',
  '--set',
  'training.hyperparameters.epochs=40',
];

describe('re-attaching to a training job', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
  });
  after(() => cleanUpExampleProject(project));

  /** Starts a run and waits until the train stage has saved a job name. */
  async function runUntilTraining() {
    const before = (await project.savedHandle('train'))?.jobName;
    const child = project.spawn(ARGS, { real: true });
    const jobName = await waitFor(
      async () => {
        const saved = (await project.savedHandle('train'))?.jobName;
        return saved && saved !== before
          ? saved
          : before && (await logHas(child, before))
            ? before
            : undefined;
      },
      'the train stage to save its job name',
      120,
    );
    return { child, jobName };
  }
  const output: WeakMap<object, string> = new WeakMap();
  async function logHas(child: ReturnType<TestProject['spawn']>, text: string): Promise<boolean> {
    if (!output.has(child)) {
      output.set(child, '');
      child.stdout?.on('data', (chunk: Buffer) =>
        output.set(child, (output.get(child) ?? '') + chunk.toString()),
      );
    }
    return (output.get(child) ?? '').includes(`re-attaching to the training job ${text}`);
  }

  it('leaves the job running on Ctrl-C and kill -9, and the next run finishes that same job', async () => {
    const first = await runUntilTraining();
    first.child.kill('SIGINT');
    const interrupted = await first.child;
    assert.equal(interrupted.exitCode, 130, String(interrupted.stderr));
    assert.match(String(interrupted.stderr), /interrupted during train/);
    assert.match(String(interrupted.stderr), new RegExp(`${first.jobName} keeps running`));

    const second = await runUntilTraining();
    assert.equal(second.jobName, first.jobName, 'the second run re-attached instead of starting a job');
    second.child.kill('SIGKILL');
    await second.child;

    const third = await project.run(ARGS, { real: true });
    assert.equal(third.exitCode, 0, third.stdout + third.stderr);
    assert.match(third.stdout, new RegExp(`re-attaching to the training job ${first.jobName}`));
    assert.equal((await project.stageOutputs('train')).jobName, first.jobName);

    const local = await localTargetOf(project);
    try {
      const jobs = await local.sagemaker.send(new ListTrainingJobsCommand({}));
      assert.deepEqual(
        jobs.TrainingJobSummaries?.map((job) => [job.TrainingJobName, job.TrainingJobStatus]),
        [[first.jobName, 'Completed']],
      );
    } finally {
      local.close();
    }
  });

  it('trains again in the run that replaces a local SageMaker that hung during training', async () => {
    const { readServerFacts } = await import('../../src/local-sagemaker/daemon.js');
    // Made stale first: the previous test left train up to date.
    const args = [...ARGS.slice(0, -1), 'training.hyperparameters.epochs=41'];
    const before = (await project.savedHandle('train'))?.jobName;
    const child = project.spawn(args, { real: true });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const jobName = await waitFor(
      async () => {
        const saved = (await project.savedHandle('train'))?.jobName;
        return saved && saved !== before && output.includes('Training in progress') ? saved : undefined;
      },
      'the training job to train',
      120,
    );
    child.kill('SIGKILL');
    await child;
    const facts = await readServerFacts(project.path('.pipeline', 'local'));
    assert.ok(facts);
    // Hung, not dead: it answers nothing, and the next run must replace it.
    process.kill(facts.pid, 'SIGSTOP');
    try {
      const next = await project.run(args, { real: true });
      assert.equal(next.exitCode, 0, next.stdout + next.stderr);
      assert.match(
        next.stdout,
        new RegExp(`the training job ${jobName} ended when its local SageMaker stopped; training again`),
      );
      const trained = (await project.stageOutputs('train')).jobName;
      assert.notEqual(trained, jobName, 'a new job trained');
    } finally {
      // SIGKILL reaches a stopped process; the run stopped it already, unless it failed first.
      try {
        process.kill(facts.pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
  });
});
