// Ctrl-C and SIGTERM during a run, at moments read from the run's own progress output: the CLI
// stops what it started, exits 130 or 143 (or 0 when the signal lands as the run ends), and the
// next run resumes. SIGNAL_TRIALS sets the number of each (2 in CI, 30 in `npm run soak`); the
// signals alternate, Ctrl-C first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  allTrainingJobs,
  BASE_ARGS,
  inRounds,
  programsStartedBy,
  random,
  runToCompletion,
  whenStageReaches,
} from '../../rig/kill-trials.js';
import { cleanUpExampleProject, freshExampleProject, localTargetOf } from '../../rig/local-target.js';
import { type TestProject, waitFor } from '../../rig/project.js';

const SIGNAL_TRIALS = Number(process.env.SIGNAL_TRIALS ?? 2);
/**
 * Where a round's signals land: a round makes its target stages stale, signals a run at each in
 * pipeline order, each next run resuming the last, and a last run completes it. CI's one round:
 * train, deploy, invoke, evaluate.
 */
const SIGNAL_TARGETS = ['train', 'deploy', 'invoke', 'evaluate', 'local-test', 'prepare', 'upload'];

describe(`Ctrl-C and SIGTERM during a run, ${SIGNAL_TRIALS} times each`, () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
  });
  after(() => cleanUpExampleProject(project));

  it('stops what the CLI started, exits 130 or 143, and the next run resumes', {
    timeout: 1_800_000,
  }, async () => {
    const base = BASE_ARGS;
    await runToCompletion(project, base);
    const next = random(7);
    const interruptedIn: Record<string, number> = {};
    const rounds = await inRounds(
      project,
      base,
      SIGNAL_TARGETS,
      SIGNAL_TRIALS * 2,
      async ({ target, args, trial }) => {
        const signal = trial % 2 === 0 ? 'SIGTERM' : 'SIGINT';
        const child = project.spawn(args, { real: true });
        if (await whenStageReaches(child, target, Math.floor(next() * 3))) {
          child.kill(signal);
          const result = await child;
          const stage = String(result.stderr).match(/interrupted during ([a-z-]+)/)?.[1] ?? 'between stages';
          // A signal that lands as the run ends finds nothing left to interrupt; one that lands before
          // node has set up (nothing started yet) ends it the default way, which a shell reports as
          // 130 or 143 all the same.
          assert.ok(
            [0, signal === 'SIGINT' ? 130 : 143].includes(result.exitCode ?? -1) || result.signal === signal,
            `trial ${trial}, ${signal} during ${stage}: exit ${result.exitCode}\n${String(result.stderr)}`,
          );
          if (result.exitCode !== 0) interruptedIn[stage] = (interruptedIn[stage] ?? 0) + 1;
          if (result.exitCode === 130 || result.exitCode === 143)
            assert.match(String(result.stderr), /interrupted/);
          // The programs stop once they see their CLI gone: wait for that, within their grace.
          const left = await waitFor(
            async () => ((await programsStartedBy(child.pid as number)).length === 0 ? [] : undefined),
            'the programs the CLI started to stop',
            15,
          ).catch(() => programsStartedBy(child.pid as number));
          assert.deepEqual(left, [], `trial ${trial}: programs left running`);
        } else {
          assert.equal((await child).exitCode, 0, `trial ${trial}: the run that ended before ${target}`);
        }
      },
    );
    process.stdout.write(`# interrupted by stage: ${JSON.stringify(interruptedIn)}\n`);
    const local = await localTargetOf(project);
    try {
      assert.equal((await allTrainingJobs(local.sagemaker)).length, rounds + 1);
    } finally {
      local.close();
    }
  });
});
