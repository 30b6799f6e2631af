// Ctrl-C and SIGTERM during a run, at moments read from the run's own progress output: the CLI
// stops what it started, exits 130 or 143 (or 0 when the signal lands as the run ends), and the
// next run resumes. SIGNAL_TRIALS sets the number of each (2 in CI, 30 in `npm run soak`).
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  allTrainingJobs,
  BASE_ARGS,
  programsStartedBy,
  random,
  runToCompletion,
  whenStageReaches,
} from '../rig/kill-trials.js';
import { cleanUpExampleProject, freshExampleProject, localTargetOf } from '../rig/local-target.js';
import { type TestProject, waitFor } from '../rig/project.js';

const SIGNAL_TRIALS = Number(process.env.SIGNAL_TRIALS ?? 2);
/** What a signal trial's run does (a new seed; every third, new data too): where signals land. */
const SIGNAL_TARGETS = ['train', 'deploy', 'invoke', 'evaluate', 'upload', 'local-test'];

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
    for (let trial = 1; trial <= SIGNAL_TRIALS * 2; trial++) {
      const signal = trial % 2 === 0 ? 'SIGTERM' : 'SIGINT';
      const args = [...base, '--set', `training.hyperparameters.seed=${trial}`];
      if (trial % 3 === 0) {
        await appendFile(
          project.path('context/input/data/validation/testset.csv'),
          `4.0000e+00,${trial}.0000e+00,1.0000e+00,0.0000e+00\n`,
        );
      }
      const child = project.spawn(args, { real: true });
      const target = SIGNAL_TARGETS[(trial - 1) % (trial % 3 === 0 ? SIGNAL_TARGETS.length : 4)] as string;
      const reached = await whenStageReaches(child, target, Math.floor(next() * 3));
      if (reached) {
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
      }
      JSON.parse(await project.read('.pipeline/state.json'));
      const recovery = await project.run(args, { real: true });
      assert.equal(recovery.exitCode, 0, `trial ${trial}: ${recovery.stdout}${recovery.stderr}`);
    }
    process.stdout.write(`# interrupted by stage: ${JSON.stringify(interruptedIn)}\n`);
    const local = await localTargetOf(project);
    try {
      assert.equal((await allTrainingJobs(local.sagemaker)).length, SIGNAL_TRIALS * 2 + 1);
    } finally {
      local.close();
    }
  });
});
