// What the kill -9 and Ctrl-C/SIGTERM trials share (test/e2e/reliability/*-trials.test.ts): kill
// moments read from the run's own progress output, the project's training jobs, the state's
// running stage, and the model programs a project or a CLI process left running.
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTrainingJobsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import {
  cleanUpExampleProject,
  destroyLocalTarget,
  freshExampleProject,
  localTargetOf,
} from './local-target.js';
import { type TestProject, waitFor } from './project.js';

/** The example's stages in the order a run reaches them: its own prepare (a processing job) among them. */
export const STAGE_ORDER = [
  'build',
  'local-test',
  'push',
  'prepare',
  'upload',
  'train',
  'deploy',
  'invoke',
  'evaluate',
];

/**
 * Resolves when the run's progress output shows `stage` starting and then `linesAfter` more lines
 * (its steps and log), or undefined when the run ends first.
 */
export function whenStageReaches(
  child: ReturnType<TestProject['spawn']>,
  stage: string,
  linesAfter: number,
): Promise<boolean> {
  const started = new RegExp(`^\\[STARTED\\] \\[[^\\]]+\\] ${stage}$`);
  return new Promise((resolve) => {
    let buffered = '';
    let seen = -1;
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (seen < 0 && started.test(line)) seen = 0;
        else if (seen >= 0) seen++;
        if (seen >= linesAfter) resolve(true);
      }
    });
    void child.then(() => resolve(false));
  });
}
/** Stages in the order a run reaches them. */
const inPipelineOrder = (stages: string[]): string[] =>
  [...stages].sort((a, b) => STAGE_ORDER.indexOf(a) - STAGE_ORDER.indexOf(b));

/**
 * Makes a round's target stages stale, and no more than they need: a new seed (train onwards),
 * a build argument when the round kills build or push, a new split when it kills prepare, a data
 * row when it kills local-test or upload. Returns the --set arguments of the round's runs.
 */
async function makeStale(project: TestProject, round: number, targets: string[]): Promise<string[]> {
  const args = ['--set', `training.hyperparameters.seed=${round}`];
  if (targets.some((target) => target === 'build' || target === 'push'))
    args.push('--set', `image.buildArgs.TRIAL=build-${round}`);
  if (targets.includes('prepare')) args.push('--set', `stages.prepare.params.seed=${round}`);
  if (targets.some((target) => target === 'local-test' || target === 'upload')) {
    await appendFile(
      project.path('context/input/data/validation/testset.csv'),
      `5.0000e+00,${round}.0000e+00,0.0000e+00,1.0000e+00\n`,
    );
  }
  return args;
}

/** One trial of a round: the stage it aims at, the round's run arguments, and its numbers. */
export interface RoundTrial {
  target: string;
  args: string[];
  /** 1, 2, ... over all rounds. */
  trial: number;
  round: number;
}

/**
 * Runs `count` trials in rounds. A round makes its targets stale (makeStale), runs `each` for
 * every target in pipeline order (each trial's run resuming the one before it), then completes
 * the round with a run that must succeed. Targets are taken from the front of `targets` each
 * round; the answer is the number of rounds, one new training each.
 */
export async function inRounds(
  project: TestProject,
  base: string[],
  targets: readonly string[],
  count: number,
  each: (trial: RoundTrial) => Promise<void>,
): Promise<number> {
  assert.ok(count >= 1, 'at least one trial');
  let rounds = 0;
  for (let done = 0; done < count; ) {
    const round = ++rounds;
    const roundTargets = inPipelineOrder(targets.slice(0, count - done));
    const args = [...base, ...(await makeStale(project, round, roundTargets))];
    for (const target of roundTargets) {
      await each({ target, args, trial: ++done, round });
      JSON.parse(await project.read('.pipeline/state.json'));
    }
    const completed = await project.run(args, { real: true });
    assert.equal(completed.exitCode, 0, `round ${round}: ${completed.stdout}${completed.stderr}`);
  }
  return rounds;
}

/** mulberry32: the same kill points on every run of the suite. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function allTrainingJobs(sagemaker: SageMakerClient): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await sagemaker.send(new ListTrainingJobsCommand({ MaxResults: 100, NextToken: token }));
    names.push(...(page.TrainingJobSummaries ?? []).map((job) => job.TrainingJobName as string));
    token = page.NextToken;
  } while (token);
  return names;
}

/** Model programs (train, serve) still running for this project: their OPT_ML lies inside it. */
export async function strayPrograms(project: TestProject): Promise<number[]> {
  return processesWhoseEnvironment((variables) =>
    variables.some((variable) => variable.startsWith(`OPT_ML=${project.dir}/`)),
  );
}

/** The stage a killed run was in: the one whose last attempt the state still shows running. */
export async function stageRunning(project: TestProject): Promise<string> {
  const state = JSON.parse(await project.read('.pipeline/state.json')) as {
    stages: Record<string, { lastAttempt?: { status: string; runId: string } }>;
  };
  const running = Object.entries(state.stages).filter(([, stage]) => stage.lastAttempt?.status === 'running');
  return running.at(-1)?.[0] ?? 'between stages';
}

/** Pids of the processes whose environment (NAME=value entries) passes `matches`. */
export async function processesWhoseEnvironment(
  matches: (variables: string[]) => boolean,
): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (matches(environ.split('\0'))) found.push(Number(entry));
  }
  return found;
}

/** Pids of model programs started for the CLI process `pid` (they carry PIPELINE_PARENT_PID). */
export const programsStartedBy = (pid: number): Promise<number[]> =>
  processesWhoseEnvironment((variables) => variables.includes(`PIPELINE_PARENT_PID=${pid}`));

/** Every trial's run: the whole pipeline, quickly (2 epochs), with no gate to miss. */
export const BASE_ARGS = [
  'run',
  '--set',
  'runtime=process',
  '--set',
  'training.hyperparameters.epochs=2',
  '--set',
  'localTest.hyperparameters.epochs=1',
  '--set',
  'evaluate.gates=[]',
];

export async function runToCompletion(project: TestProject, args: string[]): Promise<void> {
  const result = await project.run(args, { real: true });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
}

/**
 * What a user does after a run was killed with the state in S3: the next run is refused (exit 3)
 * on the lock the killed run held, and `pipeline unlock` removes it by the id the refusal names.
 */
async function unlockLeftLock(project: TestProject, args: string[]): Promise<void> {
  const refused = await project.run(args, { real: true });
  assert.equal(refused.exitCode, 3, `the killed run's lock refuses the next: ${refused.stderr}`);
  const id = /pipeline unlock (\S+)`/.exec(refused.stderr)?.[1];
  assert.ok(id, `the refusal names the lock id: ${refused.stderr}`);
  const unlocked = await project.run(['unlock', id, '--yes'], { real: true });
  assert.equal(unlocked.exitCode, 0, unlocked.stderr);
}

/** A state backend for the trials: the local folder, or S3 (the local SageMaker's own, on the local target). */
export interface TrialBackend {
  name: 'local' | 's3';
  trials: number;
  /** Appended to the example's pipeline.yaml. */
  yaml: string;
  /** More `--set` arguments of every run (the deploy strategy). */
  sets?: readonly string[];
}

/**
 * The kill -9 suite against one backend. The trials go in rounds (inRounds): a round makes its
 * target stages stale, then kills a run at each in pipeline order, each next run resuming where
 * the last was killed; a last run completes the round. So
 * every kill meets the state a kill at that boundary leaves, and a round of eight kills costs about
 * one run of the pipeline instead of eight. On S3 a killed run's lock stays until `pipeline
 * unlock` removes it, which each next run does by the id the refusal names.
 */
export function killTrialSuite(backend: TrialBackend): void {
  describe(`kill -9 during a run, ${backend.trials} times (state backend ${backend.name})`, () => {
    let project: TestProject;
    before(async () => {
      project = await freshExampleProject();
      if (backend.yaml) await appendFile(project.path('pipeline.yaml'), backend.yaml);
    });
    after(() => cleanUpExampleProject(project));

    it('recovers every time, with one job per training and nothing orphaned', {
      timeout: 3_600_000,
    }, async () => {
      const base = [...BASE_ARGS, ...(backend.sets ?? []).flatMap((set) => ['--set', set])];
      const TRIALS = backend.trials;
      await runToCompletion(project, base);
      // On S3, the stages where remote work is under way: train, deploy, prepare's processing job.
      const targets = backend.name === 's3' ? ['train', 'deploy', 'prepare'] : STAGE_ORDER;
      const next = random(20261126);
      const killedIn: Record<string, number> = {};
      let finishedEarly = 0;
      const rounds = await inRounds(project, base, targets, TRIALS, async ({ target, args, round }) => {
        const child = project.spawn(args, { real: true });
        // The first round kills each stage as it starts; later rounds a few lines in.
        const linesAfter = round === 1 ? 1 : 2 + Math.floor(next() * 3);
        if (await whenStageReaches(child, target, linesAfter)) {
          child.kill('SIGKILL');
          await child;
          const running = await stageRunning(project);
          killedIn[running] = (killedIn[running] ?? 0) + 1;
          // The next run resumes this one; on S3 it first meets the lock the killed run held.
          if (backend.name === 's3') await unlockLeftLock(project, args);
        } else {
          assert.equal((await child).exitCode, 0, `round ${round}: the run that ended before ${target}`);
          finishedEarly++;
        }
      });
      // The first run, each round's last, and the runs that ended before their kill.
      const completedRuns = 1 + rounds + finishedEarly;
      process.stdout.write(`# kills by stage: ${JSON.stringify(killedIn)}\n`);

      const local = await localTargetOf(project);
      try {
        const jobs = await allTrainingJobs(local.sagemaker);
        assert.equal(jobs.length, rounds + 1, 'one training job per intended training');
        const endpoints = (await local.sagemaker.send(new ListEndpointsCommand({}))).Endpoints ?? [];
        assert.deepEqual(
          endpoints.map((e) => [e.EndpointName, e.EndpointStatus]),
          [['keras-example', 'InService']],
        );
        const deployed = await project.stageOutputs('deploy');
        const models = (await local.sagemaker.send(new ListModelsCommand({}))).Models ?? [];
        assert.deepEqual(
          models.map((m) => m.ModelName),
          [deployed.deploymentName],
          'no orphan model',
        );
        const configs =
          (await local.sagemaker.send(new ListEndpointConfigsCommand({}))).EndpointConfigs ?? [];
        assert.deepEqual(
          configs.map((c) => c.EndpointConfigName),
          [deployed.deploymentName],
          'no orphan config',
        );
      } finally {
        local.close();
      }

      const records = (await readdir(project.path('.pipeline/runs'))).filter((name) =>
        name.endsWith('.json'),
      );
      const statuses = await Promise.all(
        records.map(
          async (name) =>
            (JSON.parse(await project.read(`.pipeline/runs/${name}`)) as { status: string }).status,
        ),
      );
      // A run killed before its first stage started has no record: it did nothing to record.
      assert.ok(
        records.length >= completedRuns,
        `${records.length} records, ${completedRuns} runs completed`,
      );
      const runs = JSON.parse((await project.run(['runs', '--json'], { real: true })).stdout) as {
        status: string;
      }[];
      assert.equal(runs.filter((run) => run.status === 'running').length, 0, 'no record left "running"');
      assert.ok(
        statuses.every((status) => ['succeeded', 'running'].includes(status)),
        statuses.join(' '),
      );
      JSON.parse(await readFile(project.path('.pipeline/state.json'), 'utf8'));

      await destroyLocalTarget(project);
      // Endpoint servers stop as destroy returns; give each its grace to exit, then check.
      await waitFor(
        async () => ((await strayPrograms(project)).length === 0 ? true : undefined),
        'no stray program',
        30,
      ).catch(() => undefined);
      assert.deepEqual(await strayPrograms(project), [], 'no train or serve process left behind');
    });
  });
}
