// The example pipeline with a `tuning:` section on the local target, through the real CLI (process
// runtime): train runs a hyperparameter tuning job, Random then Bayesian, a few trials of a few
// epochs two at a time; the best training job's model is deployed and evaluated; the plan explains
// a change of strategy; a kill during tuning re-attaches the next run to the same tuning job.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DescribeEndpointConfigCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeModelCommand,
  ListHyperParameterTuningJobsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
} from '@aws-sdk/client-sagemaker';
import { cleanUpExampleProject, freshExampleProject, localTargetOf } from '../rig/local-target.js';
import { type TestProject, waitFor } from '../rig/project.js';

const RUN = ['run', '--set', 'runtime=process', '--set', 'localTest.hyperparameters.epochs=1'];

const TUNING = `
tuning:
  strategy: Random
  objective:
    metric: val_accuracy
    type: Maximize
  ranges:
    learning_rate: { min: 0.001, max: 0.1, scaling: Logarithmic }
    num_hidden_layers: { min: 1, max: 3, type: integer }
  maxJobs: 4
  maxParallelJobs: 2
  seed: 7
`;

describe('tuning: the train stage runs a hyperparameter tuning job and deploys its best model', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
    const yaml = (await project.read('pipeline.yaml'))
      // A tuned hyperparameter may not also be a static one.
      .replace(/\n {4}num_hidden_layers: 2\n/, '\n')
      .replace(/\n {4}epochs: 200\n/, '\n    epochs: 8\n')
      .replace('\ndeploy:\n', `${TUNING}\ndeploy:\n`);
    assert.match(yaml, /tuning:\n {2}strategy: Random/);
    assert.doesNotMatch(yaml, /num_hidden_layers: 2/);
    await project.write({ 'pipeline.yaml': yaml });
  });
  after(() => cleanUpExampleProject(project));

  async function tuningJobs() {
    const target = await localTargetOf(project);
    try {
      const listed = await target.sagemaker.send(new ListHyperParameterTuningJobsCommand({}));
      return Promise.all(
        (listed.HyperParameterTuningJobSummaries ?? []).map(async (summary) => {
          const name = summary.HyperParameterTuningJobName as string;
          const [job, trials] = await Promise.all([
            target.sagemaker.send(
              new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }),
            ),
            target.sagemaker.send(
              new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }),
            ),
          ]);
          return { job, trials: trials.TrainingJobSummaries ?? [] };
        }),
      );
    } finally {
      target.close();
    }
  }

  it('Random: four trials, two at a time; the best one’s model is deployed and evaluated', async () => {
    const result = await project.run(RUN, { real: true });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /created the tuning job \S+: Random, 4 training jobs, 2 at a time, maximising val_accuracy/,
    );
    assert.match(result.stdout, /the best training job: \S+ \(/);

    const [tuning, ...others] = await tuningJobs();
    assert.equal(others.length, 0);
    assert.equal(tuning?.job.HyperParameterTuningJobStatus, 'Completed');
    assert.equal(tuning?.trials.length, 4);
    const train = await project.stageOutputs('train');
    assert.equal(train.tuningJobName, tuning?.job.HyperParameterTuningJobName);
    assert.equal(train.jobName, tuning?.job.BestTrainingJob?.TrainingJobName);
    const report = train.report.tuning;
    assert.equal(report.strategy, 'Random');
    assert.equal(report.trials.length, 4);
    assert.deepEqual(report.best.hyperparameters, tuning?.job.BestTrainingJob?.TunedHyperParameters);

    // The endpoint serves the best training job's model.
    const target = await localTargetOf(project);
    try {
      const deploy = await project.stageOutputs('deploy');
      const config = await target.sagemaker.send(
        new DescribeEndpointConfigCommand({ EndpointConfigName: deploy.deploymentName }),
      );
      const model = await target.sagemaker.send(
        new DescribeModelCommand({ ModelName: config.ProductionVariants?.[0]?.ModelName }),
      );
      assert.equal(model.PrimaryContainer?.ModelDataUrl, train.modelArtifact);
    } finally {
      target.close();
    }
    const { stages } = await project.lastRunRecord();
    assert.equal(stages.evaluate?.action, 'ran');
  });

  it('the plan explains a change of strategy, and Bayesian runs its trials in a tuning job of its own', async () => {
    const bayesian = [...RUN.slice(1), '--set', 'tuning.strategy=Bayesian'];
    const plan = await project.run(['plan', ...bayesian], { real: true });
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(plan.stdout, /train\s+run\s+tuning\.strategy: Random → Bayesian/);
    const result = await project.run(['run', ...bayesian], { real: true });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const jobs = await tuningJobs();
    assert.equal(jobs.length, 2);
    const latest = jobs.find((entry) => entry.job.HyperParameterTuningJobConfig?.Strategy === 'Bayesian');
    assert.equal(latest?.job.HyperParameterTuningJobStatus, 'Completed');
    assert.equal(latest?.trials.length, 4);
    assert.equal(latest?.job.HyperParameterTuningJobConfig?.RandomSeed, 7);

    // Review: the best objective and winning values in runs, diff, the summary and the report.
    const best = latest?.job.BestTrainingJob;
    const winning = Object.entries(best?.TunedHyperParameters ?? {}).map(
      ([name, value]) => `${name}=${value}`,
    );
    const runs = await project.run(['runs']);
    assert.match(runs.stdout, /TUNED \(BEST\)/);
    const value = Number(best?.FinalHyperParameterTuningJobObjectiveMetric?.Value).toFixed(4);
    assert.match(
      runs.stdout,
      new RegExp(`${value} ${winning.join(' ').slice(0, 30).replace(/[.]/g, '\\.')}`),
    );
    const diff = await project.run(['diff']);
    assert.match(diff.stdout, /Tuning:\n {2}strategy: Random → Bayesian/);
    // Bayesian's first trials are the seed's random ones: the same best, unless a later trial beat it.
    assert.doesNotMatch(diff.stdout, /Cost \(USD\)/);
    const { id } = JSON.parse((await project.run(['show', 'last', '--json'])).stdout);
    const summary = await project.read(`.pipeline/runs/${id}/summary.md`);
    assert.match(
      summary,
      /### Tuning\n\nBayesian search of 4 training jobs, maximising `val_accuracy`: the best, `[^`]+` \(/,
    );
    const report = await project.read(`.pipeline/runs/${id}/report.html`);
    assert.match(report, /<h2>Tuning: Bayesian, 4 trials, maximising val_accuracy<\/h2>/);
  });

  it('a kill -9 during tuning: the next run re-attaches to the same tuning job', async () => {
    // A warm start from the run before's tuning job, too: the new job names it as its parent.
    const slower = [
      ...RUN,
      '--set',
      'tuning.maxJobs=3',
      '--set',
      'training.hyperparameters.epochs=40',
      '--set',
      'tuning.warmStart=IdenticalDataAndAlgorithm',
    ];
    const before = (await project.stageOutputs('train')).tuningJobName;
    const killed = project.spawn(slower, { real: true });
    const name = await waitFor(
      async () => {
        const saved = (await project.savedHandle('train'))?.tuningJobName;
        return saved !== before ? saved : undefined;
      },
      'the new tuning job saved',
      120,
    );
    const target = await localTargetOf(project);
    let last: unknown;
    try {
      await waitFor(
        async () => {
          const job = await target.sagemaker
            .send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }))
            .catch(() => undefined);
          last = job;
          return (job?.TrainingJobStatusCounters?.InProgress ?? 0) > 0 || undefined;
        },
        'a trial of the tuning job to run',
        120,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(last)}`);
      });
    } finally {
      target.close();
    }
    killed.kill('SIGKILL');
    await killed;

    const resumed = await project.run(slower, { real: true });
    assert.equal(resumed.exitCode, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`re-attaching to the tuning job ${name}`));
    assert.equal((await project.stageOutputs('train')).tuningJobName, name);
    // One tuning job for this change: the first two runs' and this one.
    const jobs = await tuningJobs();
    assert.equal(jobs.length, 3);
    const warm = jobs.find((entry) => entry.job.HyperParameterTuningJobName === name)?.job;
    assert.deepEqual(warm?.WarmStartConfig, {
      ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: before }],
      WarmStartType: 'IdenticalDataAndAlgorithm',
    });
    assert.ok(warm?.OverallBestTrainingJob, 'the best of parent and child is named');
  });
});
