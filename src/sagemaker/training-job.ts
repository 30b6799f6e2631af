// Runs a SageMaker training job to its end: created with every training option of the config (or
// re-attached to when an earlier run saved its name), its name saved before any wait, its log
// streamed, its SecondaryStatus transitions shown, polled with backoff (cut short by a change of
// status on the local SageMaker, status-wait.ts).

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  CreateTrainingJobCommand,
  type CreateTrainingJobRequest,
  DescribeTrainingJobCommand,
  type DescribeTrainingJobResponse,
} from '@aws-sdk/client-sagemaker';
import type { DataChannel, PipelineConfig } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';
import { uniqueResourceName } from '../shared/poll.js';
import type { AwsConnection } from './aws-connection.js';
import { dataPrefixOf } from './data-location.js';
import { EpochProgress } from './epoch-progress.js';
import { executionRoleOf } from './execution-role.js';
import { aws } from './explain-aws-error.js';
import { hyperparameterStrings } from './hyperparameter-strings.js';
import { FollowedJobLog, JOB_LOG_GROUPS } from './job-log-stream.js';
import { reattaches } from './saved-job.js';
import { StatusWait } from './status-wait.js';

export interface TrainingJobRequest {
  connection: AwsConnection;
  config: PipelineConfig;
  imageUri: string;
  /** Channel name → the S3 prefix the upload stage filled. */
  channelUris: Record<string, string>;
  bucket: string;
  /** The job an interrupted run started, to re-attach to. */
  resumeJobName?: string;
  saveJobName(name: string): Promise<void>;
  /** Where the job's log lines are kept (the evaluate stage reads the per-epoch metrics there). */
  logFile: string;
  step(title: string): void;
  progress(text: string): void;
  log(line: string): void;
  signal: AbortSignal;
}

export type TrainingResult = {
  jobName: string;
  jobArn: string;
  modelArtifact: string;
  finalMetrics: Record<string, number>;
  trainingSeconds: number;
  billableSeconds: number;
};

export function createTrainingJobRequest(
  config: PipelineConfig,
  jobName: string,
  imageUri: string,
  channelUris: Record<string, string>,
  bucket: string,
): CreateTrainingJobRequest {
  const { training } = config;
  const roleArn = executionRoleOf(config);
  const channel = (name: string, settings: DataChannel) => ({
    ChannelName: name,
    DataSource: {
      S3DataSource: {
        S3DataType: 'S3Prefix' as const,
        S3Uri: channelUris[name],
        S3DataDistributionType: settings.distribution,
      },
    },
    ...(settings.contentType ? { ContentType: settings.contentType } : {}),
  });
  const prefix = dataPrefixOf(config);
  return {
    TrainingJobName: jobName,
    AlgorithmSpecification: {
      TrainingImage: imageUri,
      TrainingInputMode: 'File',
      ...(training.metricDefinitions.length > 0
        ? { MetricDefinitions: training.metricDefinitions.map((m) => ({ Name: m.name, Regex: m.regex })) }
        : {}),
    },
    RoleArn: roleArn,
    HyperParameters: hyperparameterStrings(training.hyperparameters),
    InputDataConfig: Object.entries(config.data).map(([name, settings]) => channel(name, settings)),
    OutputDataConfig: { S3OutputPath: `s3://${bucket}/${prefix}/output` },
    ResourceConfig: {
      InstanceType: training.instanceType as never,
      InstanceCount: training.instanceCount,
      VolumeSizeInGB: training.volumeSizeGB,
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: training.maxRuntimeSeconds,
      ...(training.spot.enabled && training.spot.maxWaitSeconds
        ? { MaxWaitTimeInSeconds: training.spot.maxWaitSeconds }
        : {}),
    },
    ...(Object.keys(training.environment).length > 0 ? { Environment: training.environment } : {}),
    ...(training.spot.enabled
      ? {
          EnableManagedSpotTraining: true,
          CheckpointConfig: {
            S3Uri: training.spot.checkpointS3Uri ?? `s3://${bucket}/${prefix}/checkpoints/${jobName}`,
            LocalPath: training.spot.checkpointLocalPath,
          },
        }
      : {}),
    Tags: [{ Key: 'pipeline', Value: config.name }],
  };
}

async function describe(connection: AwsConnection, jobName: string): Promise<DescribeTrainingJobResponse> {
  return aws(`describing the training job ${jobName}`, () =>
    connection.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName })),
  );
}

/** The job to follow: the saved one if it still exists, else a new one (its name saved first). */
async function startOrAttach(request: TrainingJobRequest): Promise<string> {
  const { connection, config } = request;
  const resume = request.resumeJobName;
  if (
    resume &&
    (await reattaches(connection, {
      kind: 'training job',
      name: resume,
      again: 'training again',
      describe: () => connection.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: resume })),
      log: request.log,
    }))
  )
    return resume;
  const jobName = uniqueResourceName(config.name);
  const input = createTrainingJobRequest(
    config,
    jobName,
    request.imageUri,
    request.channelUris,
    request.bucket,
  );
  // Saved before the call: if we die between the two, the next run finds the job, or finds it
  // missing and starts one; either way there is never a second job for one attempt.
  await request.saveJobName(jobName);
  request.step(`creating the training job ${jobName}`);
  await aws(`creating the training job ${jobName}`, () =>
    connection.sagemaker.send(new CreateTrainingJobCommand(input)),
  );
  request.log(
    `created the training job ${jobName} (${config.training.instanceCount}× ${config.training.instanceType})`,
  );
  return jobName;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

export async function runTrainingJob(request: TrainingJobRequest): Promise<TrainingResult> {
  const { connection } = request;
  const jobName = await startOrAttach(request);
  await mkdir(dirname(request.logFile), { recursive: true });
  const epochs = new EpochProgress(request.config.training.hyperparameters);
  const logs = new FollowedJobLog(
    connection.logs,
    jobName,
    request.logFile,
    (line) => {
      epochs.read(line);
      request.log(line);
    },
    JOB_LOG_GROUPS.training,
  );

  const statusWait = await StatusWait.begin(connection, 'training-job', jobName);
  const started = Date.now();
  let transitionsShown = 0;
  let job: DescribeTrainingJobResponse;
  for (;;) {
    job = await describe(connection, jobName);
    const transitions = job.SecondaryStatusTransitions ?? [];
    for (const transition of transitions.slice(transitionsShown)) {
      request.log(`[${transition.Status}] ${transition.StatusMessage ?? ''}`.trim());
      statusWait.reset();
    }
    transitionsShown = transitions.length;
    const elapsed = Math.round((Date.now() - started) / 1000);
    request.step(`${jobName}: ${job.TrainingJobStatus} / ${job.SecondaryStatus} (${elapsed}s)`);
    const progress = job.SecondaryStatus === 'Training' ? epochs.describe() : undefined;
    if (progress) request.progress(progress);
    await logs.poll();
    if (TERMINAL.has(job.TrainingJobStatus ?? '')) break;
    await statusWait.next(request.signal);
    if (request.signal.aborted) throw new StageError(`stopped waiting for ${jobName}; it keeps running`);
  }
  // The last lines can land after the status changes.
  await logs.poll();

  if (job.TrainingJobStatus !== 'Completed') {
    const overran =
      job.SecondaryStatus === 'MaxRuntimeExceeded'
        ? `it ran past training.maxRuntimeSeconds (${request.config.training.maxRuntimeSeconds}s)`
        : undefined;
    const reason = job.FailureReason ?? overran ?? job.SecondaryStatus ?? 'no reason given';
    throw new StageError(
      `the training job ${jobName} ${job.TrainingJobStatus === 'Stopped' ? 'was stopped' : 'failed'}: ${reason}`,
      logs.failureDetail(),
    );
  }
  const modelArtifact = job.ModelArtifacts?.S3ModelArtifacts;
  if (!modelArtifact) throw new StageError(`the training job ${jobName} completed without a model artifact`);
  const finalMetrics = Object.fromEntries(
    (job.FinalMetricDataList ?? [])
      .filter((metric) => metric.MetricName && metric.Value !== undefined)
      .map((metric) => [metric.MetricName as string, metric.Value as number]),
  );
  return {
    jobName,
    jobArn: job.TrainingJobArn ?? '',
    modelArtifact,
    finalMetrics,
    trainingSeconds: job.TrainingTimeInSeconds ?? 0,
    billableSeconds: job.BillableTimeInSeconds ?? 0,
  };
}
