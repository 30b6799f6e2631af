// Planning and execution in the test's own process, through the engine harness: what runs and
// why, early cutoff, a failure, an interruption and its resumption, each in milliseconds.
// The cases are steps of one scenario on one project: each starts from the state the one
// before it left.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Stage, StageOutputs } from '../../../src/engine/stage.js';
import { StageError } from '../../../src/shared/errors.js';
import { runEngine } from '../../rig/engine-harness.js';
import { TestProject } from '../../rig/project.js';
import { testStages } from '../../rig/test-stages.js';

const ALL = ['build', 'upload', 'train', 'deploy'];

describe('the engine, in process', () => {
  let project: TestProject;
  before(async () => {
    project = await TestProject.create();
  });
  after(() => project.remove());

  it('runs every stage the first time, and none the second', async () => {
    const first = await runEngine(project);
    assert.equal(first.outcome.status, 'succeeded');
    assert.deepEqual(first.ran, ALL);
    assert.deepEqual(
      first.plan.map((stage) => [stage.name, stage.action, stage.reasons[0]?.kind]),
      ALL.map((name) => [name, 'run', 'never-ran']),
    );
    const second = await runEngine(project);
    assert.deepEqual(second.ran, []);
    assert.ok(second.plan.every((stage) => stage.action === 'skip'));
  });

  it('re-runs train and what follows for a hyperparameter change, naming it', async () => {
    const run = await runEngine(project, { sets: ['training.hyperparameters.epochs=4'] });
    assert.deepEqual(run.ran, ['train', 'deploy']);
    const train = run.plan.find((stage) => stage.name === 'train');
    assert.deepEqual(train?.reasons, [
      { kind: 'config-changed', key: 'training.hyperparameters.epochs', before: 3, after: 4 },
    ]);
  });

  it('stops at a failing stage, records it, and leaves the stages after it not run', async () => {
    const failing: Stage[] = testStages.map((stage) =>
      stage.name === 'train'
        ? {
            ...stage,
            run: async (): Promise<StageOutputs> => {
              throw new StageError('the job failed', 'remote says: out of memory');
            },
          }
        : stage,
    );
    const run = await runEngine(project, { sets: ['training.hyperparameters.epochs=5'], stages: failing });
    assert.equal(run.outcome.status, 'failed');
    assert.deepEqual(run.outcome.failure, {
      stage: 'train',
      message: 'the job failed',
      bug: false,
      detail: 'remote says: out of memory',
    });
    assert.equal(run.outcome.record.stages.deploy?.action, 'not-run');
    const state = JSON.parse(await project.read('.pipeline/state.json'));
    assert.equal(state.stages.train.lastAttempt.status, 'failed');
  });

  it('is interrupted by its signal at a chosen event, and the next run re-attaches to the saved handle', async () => {
    const interrupt = new AbortController();
    let saved: StageOutputs | undefined;
    const hanging: Stage[] = testStages.map((stage) =>
      stage.name === 'train'
        ? {
            ...stage,
            run: async (ctx): Promise<StageOutputs> => {
              if (ctx.resumeHandle) return { job: String(ctx.resumeHandle.job), resumed: true };
              saved = { job: `job-${ctx.runId}` };
              await ctx.saveHandle(saved);
              ctx.log('waiting for the remote job');
              return new Promise(() => undefined);
            },
          }
        : stage,
    );
    const sets = ['training.hyperparameters.epochs=6'];
    const run = await runEngine(project, {
      sets,
      stages: hanging,
      signal: interrupt.signal,
      onEvent: (event) => {
        if (event.type === 'stage-log' && event.line === 'waiting for the remote job') interrupt.abort();
      },
    });
    assert.equal(run.outcome.status, 'interrupted');
    const resumed = await runEngine(project, { sets, stages: hanging });
    assert.deepEqual(resumed.ran, ['train', 'deploy']);
    const start = resumed.events.find((event) => event.type === 'stage-start' && event.stage === 'train');
    assert.deepEqual((start as { resuming?: StageOutputs }).resuming, saved);
  });
});
