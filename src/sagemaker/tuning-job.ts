// The train stage with a `tuning:` section: one SageMaker hyperparameter tuning job of training jobs
// made as the training job would be (training-job.ts), each with the hyperparameters its strategy
// chose. Its name is saved before the wait, so that an interrupted run re-attaches to it; each trial
// is said as it ends; the best training job's model is what deploy serves.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  CreateHyperParameterTuningJobCommand,
  type CreateHyperParameterTuningJobRequest,
  DescribeHyperParameterTuningJobCommand,
  type DescribeHyperParameterTuningJobResponse,
  DescribeTrainingJobCommand,
  type HyperParameterTrainingJobSummary,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  type ParameterRanges,
} from '@aws-sdk/client-sagemaker';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';
import { uniqueResourceName } from '../shared/poll.js';
import type { AwsConnection } from './aws-connection.js';
import { aws } from './explain-aws-error.js';
import { FollowedJobLog, JOB_LOG_GROUPS } from './job-log-stream.js';
import { reattaches } from './saved-job.js';
import { StatusWait } from './status-wait.js';
import { createTrainingJobRequest, type TrainingJobRequest, type TrainingResult } from './training-job.js';

type Tuning = NonNullable<PipelineConfig['tuning']>;

/** One trial as the run records it (the report's table, `runs`, `diff`). */
export interface TrialRecord {
  name: string;
  status: string;
  objective?: number;
  hyperparameters: Record<string, string>;
}

export interface TuningResult extends TrainingResult {
  tuningJobName: string;
  strategy: string;
  objective: { metric: string; type: 'Maximize' | 'Minimize' };
  trials: TrialRecord[];
  /** The best trial's tuned hyperparameters. */
  bestHyperparameters: Record<string, string>;
}

export interface TuningJobRequest extends Omit<TrainingJobRequest, 'resumeJobName' | 'saveJobName'> {
  /** The tuning job an interrupted run started, to re-attach to. */
  resumeTuningJobName?: string;
  saveTuningJobName(name: string): Promise<void>;
  /** The previous run's tuning job, for tuning.warmStart. */
  previousTuningJobName?: string;
}

const asString = (value: string | number | boolean) => String(value);

/** The config's ranges as SageMaker's ParameterRanges. */
export function parameterRangesOf(tuning: Tuning): ParameterRanges {
  const integer: NonNullable<ParameterRanges['IntegerParameterRanges']> = [];
  const continuous: NonNullable<ParameterRanges['ContinuousParameterRanges']> = [];
  const categorical: NonNullable<ParameterRanges['CategoricalParameterRanges']> = [];
  for (const [name, range] of Object.entries(tuning.ranges)) {
    if (range.values) categorical.push({ Name: name, Values: range.values.map(asString) });
    else {
      const numbers = {
        Name: name,
        MinValue: String(range.min),
        MaxValue: String(range.max),
        ScalingType: range.scaling ?? 'Auto',
      };
      (range.type === 'integer' ? integer : continuous).push(numbers);
    }
  }
  return {
    ...(integer.length > 0 ? { IntegerParameterRanges: integer } : {}),
    ...(continuous.length > 0 ? { ContinuousParameterRanges: continuous } : {}),
    ...(categorical.length > 0 ? { CategoricalParameterRanges: categorical } : {}),
  };
}

export function createTuningJobRequest(
  config: PipelineConfig,
  name: string,
  imageUri: string,
  channelUris: Record<string, string>,
  bucket: string,
  warmStartParent?: string,
): CreateHyperParameterTuningJobRequest {
  const tuning = config.tuning as Tuning;
  // The training job a trial is, as train would make it (its name aside: SageMaker names trials).
  const {
    TrainingJobName: _name,
    HyperParameters,
    Tags,
    ...job
  } = createTrainingJobRequest(config, name, imageUri, channelUris, bucket);
  const completion = tuning.completion;
  return {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      Strategy: tuning.strategy,
      HyperParameterTuningJobObjective: { Type: tuning.objective.type, MetricName: tuning.objective.metric },
      ResourceLimits: {
        ...(tuning.maxJobs !== undefined ? { MaxNumberOfTrainingJobs: tuning.maxJobs } : {}),
        MaxParallelTrainingJobs: tuning.maxParallelJobs,
      },
      ParameterRanges: parameterRangesOf(tuning),
      TrainingJobEarlyStoppingType: tuning.earlyStopping,
      ...(tuning.seed !== undefined ? { RandomSeed: tuning.seed } : {}),
      ...(completion &&
      (completion.targetObjective !== undefined || completion.maxJobsNotImproving !== undefined)
        ? {
            TuningJobCompletionCriteria: {
              ...(completion.targetObjective !== undefined
                ? { TargetObjectiveMetricValue: completion.targetObjective }
                : {}),
              ...(completion.maxJobsNotImproving !== undefined
                ? {
                    BestObjectiveNotImproving: {
                      MaxNumberOfTrainingJobsNotImproving: completion.maxJobsNotImproving,
                    },
                  }
                : {}),
            },
          }
        : {}),
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: job.AlgorithmSpecification as NonNullable<
        CreateHyperParameterTuningJobRequest['TrainingJobDefinition']
      >['AlgorithmSpecification'],
      RoleArn: job.RoleArn,
      InputDataConfig: job.InputDataConfig,
      OutputDataConfig: job.OutputDataConfig,
      ResourceConfig: job.ResourceConfig,
      StoppingCondition: job.StoppingCondition ?? { MaxRuntimeInSeconds: config.training.maxRuntimeSeconds },
      ...(job.Environment ? { Environment: job.Environment } : {}),
      ...(job.EnableManagedSpotTraining ? { EnableManagedSpotTraining: true } : {}),
      ...(job.CheckpointConfig ? { CheckpointConfig: job.CheckpointConfig } : {}),
      ...(HyperParameters && Object.keys(HyperParameters).length > 0
        ? { StaticHyperParameters: HyperParameters }
        : {}),
    },
    ...(tuning.warmStart && warmStartParent
      ? {
          WarmStartConfig: {
            ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: warmStartParent }],
            WarmStartType: tuning.warmStart,
          },
        }
      : {}),
    ...(Tags ? { Tags } : {}),
  };
}

async function describe(
  connection: AwsConnection,
  name: string,
): Promise<DescribeHyperParameterTuningJobResponse> {
  return aws(`describing the tuning job ${name}`, () =>
    connection.sagemaker.send(
      new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }),
    ),
  );
}

async function trialsOf(
  connection: AwsConnection,
  name: string,
): Promise<HyperParameterTrainingJobSummary[]> {
  const trials: HyperParameterTrainingJobSummary[] = [];
  let token: string | undefined;
  do {
    const next = token;
    const page = await aws(`listing the training jobs of ${name}`, () =>
      connection.sagemaker.send(
        new ListTrainingJobsForHyperParameterTuningJobCommand({
          HyperParameterTuningJobName: name,
          MaxResults: 100,
          ...(next ? { NextToken: next } : {}),
        }),
      ),
    );
    trials.push(...(page.TrainingJobSummaries ?? []));
    token = page.NextToken;
  } while (token);
  return trials.sort((a, b) => (a.TrainingJobName ?? '').localeCompare(b.TrainingJobName ?? ''));
}

/** The tuning job to follow: the saved one if it still runs or ended, else a new one. */
async function startOrAttach(request: TuningJobRequest): Promise<string> {
  const { connection, config } = request;
  const resume = request.resumeTuningJobName;
  // The Describe unwrapped: a tuning job that is gone is made again; any other failure is the stage's.
  if (
    resume &&
    (await reattaches(connection, {
      kind: 'tuning job',
      name: resume,
      again: 'tuning again',
      describe: () =>
        connection.sagemaker.send(
          new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: resume }),
        ),
      log: request.log,
    }))
  )
    return resume;
  // Tuning job names are 32 characters at most; trials add -NNN-xxxxxxxx.
  const name = uniqueResourceName(config.name, new Date(), 32);
  const input = createTuningJobRequest(
    config,
    name,
    request.imageUri,
    request.channelUris,
    request.bucket,
    request.previousTuningJobName,
  );
  await request.saveTuningJobName(name);
  request.step(`creating the tuning job ${name}`);
  await aws(`creating the tuning job ${name}`, () =>
    connection.sagemaker.send(new CreateHyperParameterTuningJobCommand(input)),
  );
  const tuning = config.tuning as Tuning;
  request.log(
    `created the tuning job ${name}: ${tuning.strategy}, ${input.HyperParameterTuningJobConfig?.ResourceLimits?.MaxNumberOfTrainingJobs ?? 'every combination of'} training jobs, ${tuning.maxParallelJobs} at a time, ${tuning.objective.type === 'Maximize' ? 'maximising' : 'minimising'} ${tuning.objective.metric}` +
      (input.WarmStartConfig ? ` (warm start from ${request.previousTuningJobName})` : ''),
  );
  return name;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

const describeTrial = (trial: HyperParameterTrainingJobSummary, metric: string): string => {
  const tuned = Object.entries(trial.TunedHyperParameters ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  const value = trial.FinalHyperParameterTuningJobObjectiveMetric?.Value;
  return `${trial.TrainingJobName} (${tuned}): ${trial.TrainingJobStatus}${value !== undefined ? `, ${metric} ${value}` : ''}${trial.FailureReason ? `: ${trial.FailureReason.split('\n')[0]}` : ''}`;
};

export async function runTuningJob(request: TuningJobRequest): Promise<TuningResult> {
  const { connection } = request;
  const tuning = request.config.tuning as Tuning;
  const name = await startOrAttach(request);
  const statusWait = await StatusWait.begin(connection, 'hyper-parameter-tuning-job', name);
  const said = new Set<string>();
  let job: DescribeHyperParameterTuningJobResponse;
  let trials: HyperParameterTrainingJobSummary[];
  for (;;) {
    job = await describe(connection, name);
    trials = await trialsOf(connection, name);
    for (const trial of trials)
      if (TERMINAL.has(trial.TrainingJobStatus ?? '') && !said.has(trial.TrainingJobName ?? '')) {
        said.add(trial.TrainingJobName ?? '');
        request.log(describeTrial(trial, tuning.objective.metric));
        statusWait.reset();
      }
    const counters = job.TrainingJobStatusCounters ?? {};
    const ended =
      (counters.Completed ?? 0) +
      (counters.Stopped ?? 0) +
      (counters.NonRetryableError ?? 0) +
      (counters.RetryableError ?? 0);
    const planned = job.HyperParameterTuningJobConfig?.ResourceLimits?.MaxNumberOfTrainingJobs;
    const best = job.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    request.step(
      `${name}: ${job.HyperParameterTuningJobStatus}, ${ended}${planned ? ` of ${planned}` : ''} training jobs ended, ${counters.InProgress ?? 0} running${best !== undefined ? `; best ${tuning.objective.metric} ${best}` : ''}`,
    );
    if (TERMINAL.has(job.HyperParameterTuningJobStatus ?? '')) break;
    await statusWait.next(request.signal);
    if (request.signal.aborted)
      throw new StageError(`stopped waiting for the tuning job ${name}; it keeps running`);
  }
  const bestName = job.BestTrainingJob?.TrainingJobName;
  if (job.HyperParameterTuningJobStatus !== 'Completed' || !bestName)
    throw new StageError(
      `the tuning job ${name} ${job.HyperParameterTuningJobStatus === 'Stopped' ? 'was stopped' : 'failed'}: ${job.FailureReason ?? 'no training job reported the objective'}`,
      trials
        .slice(-5)
        .map((trial) => describeTrial(trial, tuning.objective.metric))
        .join('\n') || undefined,
    );
  // The best job's log is the run's training log: evaluate reads its per-epoch metrics there.
  await mkdir(dirname(request.logFile), { recursive: true });
  await new FollowedJobLog(
    connection.logs,
    bestName,
    request.logFile,
    () => undefined,
    JOB_LOG_GROUPS.training,
  ).poll();
  const described = await Promise.all(
    trials.map((trial) =>
      aws(`describing the training job ${trial.TrainingJobName}`, () =>
        connection.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: trial.TrainingJobName })),
      ),
    ),
  );
  const best = described.find((trainingJob) => trainingJob.TrainingJobName === bestName);
  const modelArtifact = best?.ModelArtifacts?.S3ModelArtifacts;
  if (!best || !modelArtifact)
    throw new StageError(`the best training job ${bestName} has no model artifact`);
  const bestHyperparameters = { ...(job.BestTrainingJob?.TunedHyperParameters ?? {}) };
  request.log(
    `the best training job: ${bestName} (${Object.entries(bestHyperparameters)
      .map(([key, value]) => `${key}=${value}`)
      .join(
        ' ',
      )}), ${tuning.objective.metric} ${job.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric?.Value}`,
  );
  return {
    jobName: bestName,
    jobArn: best.TrainingJobArn ?? '',
    modelArtifact,
    finalMetrics: Object.fromEntries(
      (best.FinalMetricDataList ?? [])
        .filter((metric) => metric.MetricName && metric.Value !== undefined)
        .map((metric) => [metric.MetricName as string, metric.Value as number]),
    ),
    // Every trial is billed: the run's cost is all of them.
    trainingSeconds: described.reduce(
      (sum, trainingJob) => sum + (trainingJob.TrainingTimeInSeconds ?? 0),
      0,
    ),
    billableSeconds: described.reduce(
      (sum, trainingJob) => sum + (trainingJob.BillableTimeInSeconds ?? 0),
      0,
    ),
    tuningJobName: name,
    strategy: tuning.strategy,
    objective: { metric: tuning.objective.metric, type: tuning.objective.type },
    trials: trials.map((trial) => ({
      name: trial.TrainingJobName ?? '',
      status: trial.TrainingJobStatus ?? '',
      ...(trial.FinalHyperParameterTuningJobObjectiveMetric?.Value !== undefined
        ? { objective: trial.FinalHyperParameterTuningJobObjectiveMetric.Value }
        : {}),
      hyperparameters: { ...(trial.TunedHyperParameters ?? {}) },
    })),
    bestHyperparameters,
  };
}
