// The local SageMaker's hyperparameter tuning jobs through the AWS SDK: Random, Grid and Bayesian
// searches run as real training jobs (a program of the test's own whose objective is known), two at
// a time, named as SageMaker names them; early stopping by the median rule; warm start; Stop; and
// what it refuses. Answers are checked against AWS's model of the operations.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CreateHyperParameterTuningJobCommand,
  type CreateHyperParameterTuningJobCommandInput,
  DescribeHyperParameterTuningJobCommand,
  type DescribeHyperParameterTuningJobCommandOutput,
  DescribeTrainingJobCommand,
  type HyperParameterTrainingJobSummary,
  ListHyperParameterTuningJobsCommand,
  ListTagsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  StopHyperParameterTuningJobCommand,
} from '@aws-sdk/client-sagemaker';
import { callChecked, type LocalRig, putObjects, ROLE, startLocalRig } from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';

/**
 * Prints `epoch=E score=S` for each epoch, S rising to the final score
 * 1 - (x - 0.3)² - ((layers - 5) / 7)² (0.5 less for optimizer sgd); `pause` ms between epochs.
 */
const TRAIN = `#!/usr/bin/env node
const { readFileSync, writeFileSync } = require('node:fs');
const h = JSON.parse(readFileSync(process.env.OPT_ML + '/input/config/hyperparameters.json', 'utf8'));
writeFileSync(process.env.OPT_ML + '/model/hyperparameters.json', JSON.stringify(h));
const x = Number(h.x ?? 0.3), layers = Number(h.layers ?? 5), epochs = Number(h.epochs ?? 3);
const final = 1 - (x - 0.3) ** 2 - ((layers - 5) / 7) ** 2 - (h.optimizer === 'sgd' ? 0.5 : 0);
let epoch = 0;
const step = () => {
  epoch++;
  console.log('epoch=' + epoch + ' score=' + (final * epoch / epochs).toFixed(6));
  if (epoch < epochs) setTimeout(step, Number(h.pause ?? 0));
};
step();
`;

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

describe('local SageMaker hyperparameter tuning jobs, through the AWS SDK', () => {
  let rig: LocalRig;
  let image: string;
  before(async () => {
    rig = await startLocalRig({ stopGraceSeconds: 5 });
    image = rig.project.path('images', 'scored');
    await mkdir(image, { recursive: true });
    await writeFile(join(image, 'train'), TRAIN, { mode: 0o755 });
    await putObjects(rig.s3, 'tuning-bucket', { 'data/rows.csv': '1,2,3\n' });
  });
  after(() => rig.close());

  const request = (
    name: string,
    config: Partial<CreateHyperParameterTuningJobCommandInput['HyperParameterTuningJobConfig']> & {
      Strategy: 'Random' | 'Grid' | 'Bayesian' | 'Hyperband';
    },
    statics: Record<string, string> = { epochs: '3' },
  ): CreateHyperParameterTuningJobCommandInput => ({
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'score' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 },
      ParameterRanges: {
        ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '1', ScalingType: 'Linear' }],
        IntegerParameterRanges: [{ Name: 'layers', MinValue: '1', MaxValue: '8', ScalingType: 'Linear' }],
      },
      ...config,
    },
    TrainingJobDefinition: {
      StaticHyperParameters: statics,
      AlgorithmSpecification: {
        TrainingImage: pathToFileURL(image).href,
        TrainingInputMode: 'File',
        MetricDefinitions: [{ Name: 'score', Regex: 'score=([0-9.-]+)' }],
      },
      RoleArn: ROLE,
      InputDataConfig: [
        {
          ChannelName: 'training',
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://tuning-bucket/data/' } },
        },
      ],
      OutputDataConfig: { S3OutputPath: 's3://tuning-bucket/output' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 300 },
    },
  });

  const describeJob = (name: string) =>
    rig.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));

  const ended = (name: string): Promise<DescribeHyperParameterTuningJobCommandOutput> =>
    waitFor(
      async () => {
        const job = await describeJob(name);
        return TERMINAL.has(job.HyperParameterTuningJobStatus ?? '') ? job : undefined;
      },
      `tuning job ${name} to end`,
      180,
    );

  const trialsOf = async (name: string, sort: Record<string, string> = {}) =>
    (
      await rig.sagemaker.send(
        new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name, ...sort }),
      )
    ).TrainingJobSummaries ?? [];

  const scoreOf = (trial: HyperParameterTrainingJobSummary) =>
    trial.FinalHyperParameterTuningJobObjectiveMetric?.Value as number;

  it('Random: the jobs it launches, two at a time, named and described as SageMaker does; the best of them', async () => {
    await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand(request('tune-random', { Strategy: 'Random' })),
    );
    const job = await ended('tune-random');
    assert.equal(job.HyperParameterTuningJobStatus, 'Completed', job.FailureReason);
    assert.deepEqual(job.TrainingJobStatusCounters, {
      Completed: 4,
      InProgress: 0,
      RetryableError: 0,
      NonRetryableError: 0,
      Stopped: 0,
    });
    assert.deepEqual(job.ObjectiveStatusCounters, { Succeeded: 4, Pending: 0, Failed: 0 });
    const trials = await trialsOf('tune-random');
    assert.equal(trials.length, 4);
    for (const trial of trials) {
      assert.match(trial.TrainingJobName ?? '', /^tune-random-00[1-4]-[0-9a-f]{8}$/);
      assert.equal(trial.TuningJobName, 'tune-random');
      assert.equal(trial.ObjectiveStatus, 'Succeeded');
      const x = Number(trial.TunedHyperParameters?.x);
      const layers = Number(trial.TunedHyperParameters?.layers);
      assert.ok(x >= 0 && x <= 1 && Number.isInteger(layers) && layers >= 1 && layers <= 8);
      // The objective is what the program printed last.
      assert.ok(Math.abs(scoreOf(trial) - (1 - (x - 0.3) ** 2 - ((layers - 5) / 7) ** 2)) < 1e-5);
    }
    const best = [...trials].sort((a, b) => scoreOf(b) - scoreOf(a))[0];
    assert.equal(job.BestTrainingJob?.TrainingJobName, best?.TrainingJobName);
    // Sorted by the objective, best first.
    const sorted = await trialsOf('tune-random', {
      SortBy: 'FinalObjectiveMetricValue',
      SortOrder: 'Descending',
    });
    assert.equal(sorted[0]?.TrainingJobName, best?.TrainingJobName);

    // Each child is a training job of its own, with the tuned, static and objective hyperparameters.
    const child = await rig.sagemaker.send(
      new DescribeTrainingJobCommand({ TrainingJobName: best?.TrainingJobName }),
    );
    assert.equal(child.TuningJobArn, job.HyperParameterTuningJobArn);
    assert.deepEqual(child.HyperParameters, {
      epochs: '3',
      ...best?.TunedHyperParameters,
      _tuning_objective_metric: 'score',
    });
    // Two at a time: the second started before the first ended.
    const [first, second] = [...trials].sort((a, b) =>
      (a.TrainingJobName ?? '').localeCompare(b.TrainingJobName ?? ''),
    );
    assert.ok((second?.CreationTime as Date) <= (first?.TrainingEndTime as Date));

    // The answers match AWS's model of them.
    await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeHyperParameterTuningJob', {
      HyperParameterTuningJobName: 'tune-random',
    });
    await callChecked(rig.server.endpoint, 'sagemaker', 'ListTrainingJobsForHyperParameterTuningJob', {
      HyperParameterTuningJobName: 'tune-random',
    });
    const listed = await callChecked(rig.server.endpoint, 'sagemaker', 'ListHyperParameterTuningJobs', {});
    assert.ok(
      (listed.HyperParameterTuningJobSummaries as { HyperParameterTuningJobName: string }[]).some(
        (summary) => summary.HyperParameterTuningJobName === 'tune-random',
      ),
    );
  });

  it('Grid: every combination of the categorical values once, MaxNumberOfTrainingJobs worked out', async () => {
    await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand(
        request('tune-grid', {
          Strategy: 'Grid',
          ResourceLimits: { MaxParallelTrainingJobs: 2 },
          ParameterRanges: {
            CategoricalParameterRanges: [
              { Name: 'optimizer', Values: ['adam', 'sgd'] },
              { Name: 'layers', Values: ['2', '5'] },
            ],
          },
        }),
      ),
    );
    const job = await ended('tune-grid');
    assert.equal(job.HyperParameterTuningJobStatus, 'Completed', job.FailureReason);
    assert.equal(job.HyperParameterTuningJobConfig?.ResourceLimits?.MaxNumberOfTrainingJobs, 4);
    const combinations = (await trialsOf('tune-grid')).map(
      (t) => `${t.TunedHyperParameters?.optimizer}/${t.TunedHyperParameters?.layers}`,
    );
    assert.deepEqual(combinations.sort(), ['adam/2', 'adam/5', 'sgd/2', 'sgd/5']);
    assert.deepEqual(job.BestTrainingJob?.TunedHyperParameters, { optimizer: 'adam', layers: '5' });
  });

  it('Bayesian with a RandomSeed proposes the same trials twice', async () => {
    const bayesian = (name: string) =>
      request(name, {
        Strategy: 'Bayesian',
        RandomSeed: 17,
        ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 },
      });
    await rig.sagemaker.send(new CreateHyperParameterTuningJobCommand(bayesian('tune-bayes-a')));
    await rig.sagemaker.send(new CreateHyperParameterTuningJobCommand(bayesian('tune-bayes-b')));
    const [a, b] = await Promise.all([ended('tune-bayes-a'), ended('tune-bayes-b')]);
    assert.equal(a.HyperParameterTuningJobStatus, 'Completed', a.FailureReason);
    assert.equal(b.HyperParameterTuningJobStatus, 'Completed', b.FailureReason);
    const proposals = async (name: string) =>
      (await trialsOf(name)).map((trial) => ({
        index: trial.TrainingJobName?.split('-').at(-2),
        tuned: trial.TunedHyperParameters,
      }));
    const first = await proposals('tune-bayes-a');
    assert.equal(first.length, 6);
    assert.deepEqual(await proposals('tune-bayes-b'), first);
  });

  it('early stopping Auto stops a job whose objective falls below the median of those before it', async () => {
    await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand(
        request(
          'tune-early',
          {
            Strategy: 'Grid',
            TrainingJobEarlyStoppingType: 'Auto',
            ResourceLimits: { MaxParallelTrainingJobs: 1 },
            ParameterRanges: {
              CategoricalParameterRanges: [{ Name: 'x', Values: ['0.3', '0.35', '0.25', '5'] }],
            },
          },
          { epochs: '20', pause: '60' },
        ),
      ),
    );
    const job = await ended('tune-early');
    assert.equal(job.HyperParameterTuningJobStatus, 'Completed', job.FailureReason);
    const byX = Object.fromEntries((await trialsOf('tune-early')).map((t) => [t.TunedHyperParameters?.x, t]));
    for (const x of ['0.3', '0.35', '0.25']) assert.equal(byX[x]?.TrainingJobStatus, 'Completed');
    // x = 5 scores far below the median at its first epoch: stopped, with the objective it reached.
    assert.equal(byX['5']?.TrainingJobStatus, 'Stopped');
    assert.equal(byX['5']?.ObjectiveStatus, 'Succeeded');
    assert.ok(scoreOf(byX['5'] as HyperParameterTrainingJobSummary) < 0);
    assert.equal(job.TrainingJobStatusCounters?.Stopped, 1);
  });

  it('a warm start names the best of its parents and itself; Stop ends the job and its running trials', async () => {
    await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand({
        ...request('tune-warm', {
          Strategy: 'Bayesian',
          RandomSeed: 5,
          ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 2 },
        }),
        WarmStartConfig: {
          ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'tune-random' }],
          WarmStartType: 'IdenticalDataAndAlgorithm',
        },
      }),
    );
    const warm = await ended('tune-warm');
    assert.equal(warm.HyperParameterTuningJobStatus, 'Completed', warm.FailureReason);
    const candidates = [...(await trialsOf('tune-warm')), ...(await trialsOf('tune-random'))];
    const best = candidates.sort((a, b) => scoreOf(b) - scoreOf(a))[0];
    assert.equal(warm.OverallBestTrainingJob?.TrainingJobName, best?.TrainingJobName);

    await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand(
        request(
          'tune-stopped',
          { Strategy: 'Random', ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 } },
          { epochs: '600', pause: '100' },
        ),
      ),
    );
    await waitFor(
      async () =>
        ((await describeJob('tune-stopped')).TrainingJobStatusCounters?.InProgress ?? 0) === 2 || undefined,
      'two trials running',
      60,
    );
    await rig.sagemaker.send(
      new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: 'tune-stopped' }),
    );
    const stopped = await ended('tune-stopped');
    assert.equal(stopped.HyperParameterTuningJobStatus, 'Stopped');
    const trials = await trialsOf('tune-stopped');
    assert.equal(trials.length, 2);
    for (const trial of trials) assert.equal(trial.TrainingJobStatus, 'Stopped');
    const listed = await rig.sagemaker.send(
      new ListHyperParameterTuningJobsCommand({ StatusEquals: 'Stopped' }),
    );
    assert.deepEqual(
      listed.HyperParameterTuningJobSummaries?.map((summary) => summary.HyperParameterTuningJobName),
      ['tune-stopped'],
    );
  });

  it('completion criteria end the search early: a target objective reached, or no improvement for N jobs', async () => {
    const grid = (name: string, values: string[], criteria: Record<string, unknown>) =>
      request(name, {
        Strategy: 'Grid',
        ResourceLimits: { MaxParallelTrainingJobs: 1 },
        ParameterRanges: { CategoricalParameterRanges: [{ Name: 'x', Values: values }] },
        TuningJobCompletionCriteria: criteria,
      });
    await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand(
        grid('tune-target', ['0.3', '0.9', '0.8'], {
          TargetObjectiveMetricValue: 0.99,
          ConvergenceDetected: { CompleteOnConvergence: 'Disabled' },
        }),
      ),
    );
    const target = await ended('tune-target');
    assert.equal(target.HyperParameterTuningJobStatus, 'Completed', target.FailureReason);
    assert.equal((await trialsOf('tune-target')).length, 1);

    await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand(
        grid('tune-patience', ['0.3', '0.9', '0.8', '0.7', '0.6'], {
          BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 3 },
        }),
      ),
    );
    const patience = await ended('tune-patience');
    assert.equal((await trialsOf('tune-patience')).length, 4);
    assert.equal(patience.TuningJobCompletionDetails?.NumberOfTrainingJobsObjectiveNotImproving, 3);
  });

  it('gives each training job the definition’s settings: environment, spot, checkpoints; tags the tuning job', async () => {
    const base = request('tune-settings', {
      Strategy: 'Random',
      ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 },
    });
    const created = await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand({
        ...base,
        Tags: [{ Key: 'team', Value: 'search' }],
        TrainingJobDefinition: {
          ...(base.TrainingJobDefinition as NonNullable<typeof base.TrainingJobDefinition>),
          Environment: { MODE: 'tuned' },
          EnableManagedSpotTraining: true,
          StoppingCondition: { MaxRuntimeInSeconds: 300, MaxWaitTimeInSeconds: 600 },
          CheckpointConfig: { S3Uri: 's3://tuning-bucket/checkpoints/', LocalPath: '/opt/ml/checkpoints' },
          EnableNetworkIsolation: false,
          EnableInterContainerTrafficEncryption: false,
        },
      }),
    );
    const job = await ended('tune-settings');
    assert.equal(job.HyperParameterTuningJobStatus, 'Completed', job.FailureReason);
    const [trial] = await trialsOf('tune-settings');
    const child = await rig.sagemaker.send(
      new DescribeTrainingJobCommand({ TrainingJobName: trial?.TrainingJobName }),
    );
    assert.deepEqual(child.Environment, { MODE: 'tuned' });
    assert.equal(child.EnableManagedSpotTraining, true);
    assert.equal(child.CheckpointConfig?.S3Uri, 's3://tuning-bucket/checkpoints/');
    const tags = await rig.sagemaker.send(
      new ListTagsCommand({ ResourceArn: created.HyperParameterTuningJobArn }),
    );
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'search' }]);
    // As SageMaker documents: the tuning job's tags are added to every training job it launches.
    const childTags = await rig.sagemaker.send(new ListTagsCommand({ ResourceArn: child.TrainingJobArn }));
    assert.deepEqual(childTags.Tags, [{ Key: 'team', Value: 'search' }]);
  });

  it('refuses what SageMaker refuses, and what the local SageMaker does not run, with a clear message', async () => {
    const refused = async (input: CreateHyperParameterTuningJobCommandInput, message: RegExp) => {
      const error = await rig.sagemaker.send(new CreateHyperParameterTuningJobCommand(input)).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.equal(
        error?.name,
        'ValidationException',
        `${input.HyperParameterTuningJobName}: ${error?.message}`,
      );
      assert.match(error?.message ?? '', message);
    };
    await refused(
      request('tune-hyperband', { Strategy: 'Hyperband' }),
      /Strategy.*Hyperband.*not supported by the local SageMaker|Hyperband/,
    );
    await refused(
      request('tune-grid-continuous', { Strategy: 'Grid', ResourceLimits: { MaxParallelTrainingJobs: 1 } }),
      /The Grid strategy takes categorical parameter ranges only \(layers is not\)/,
    );
    await refused(
      request('tune-no-metric', {
        Strategy: 'Random',
        HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'loss' },
      }),
      /The objective metric loss is not defined in AlgorithmSpecification\.MetricDefinitions \(score\)/,
    );
    await refused(
      request('tune-log-zero', {
        Strategy: 'Random',
        ParameterRanges: {
          ContinuousParameterRanges: [
            { Name: 'x', MinValue: '0', MaxValue: '1', ScalingType: 'Logarithmic' },
          ],
        },
      }),
      /Logarithmic scaling of x needs MinValue greater than 0/,
    );
    await refused(
      request('tune-convergence', {
        Strategy: 'Random',
        TuningJobCompletionCriteria: { ConvergenceDetected: { CompleteOnConvergence: 'Enabled' } },
      }),
      /CompleteOnConvergence/,
    );
    await refused(
      request('tune-runtime', {
        Strategy: 'Random',
        ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 1, MaxRuntimeInSeconds: 600 },
      }),
      /MaxRuntimeInSeconds/,
    );
    const missing = await describeJob('no-such-tuning-job').then(
      () => undefined,
      (e: Error) => e,
    );
    assert.match(missing?.message ?? '', /can't find a tuning job with name no-such-tuning-job/);
  });
});
