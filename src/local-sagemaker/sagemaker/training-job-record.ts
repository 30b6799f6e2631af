// A training job's record (its DescribeTrainingJob answer, persisted as it is), how a
// CreateTrainingJob request becomes one, and the one function through which its status moves.

import type {
  AlgorithmSpecification,
  Channel,
  CreateTrainingJobRequest,
  DescribeTrainingJobResponse,
  OutputDataConfig,
  ResourceConfig,
  S3DataSource,
  SecondaryStatus,
  StoppingCondition,
} from '../generated/sagemaker-wire.js';
import { validation } from '../protocol/aws-error.js';
import { epochSeconds } from '../protocol/request-fields.js';

export type JobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
/** Why a running job was ended: StopTrainingJob, its max runtime, or its server closing. */
export type StopReason = 'Stopped' | 'MaxRuntimeExceeded' | 'ServerStopped';

interface StatusTransition {
  Status: SecondaryStatus;
  StartTime: number;
  EndTime?: number;
  StatusMessage: string;
}

/**
 * A job as DescribeTrainingJob returns it (its wire type, with the members a job here always has
 * made required); persisted as it is.
 */
/** A channel of the one data source the local SageMaker reads: S3. */
type S3Channel = Channel & { DataSource: { S3DataSource: S3DataSource } };

export interface TrainingJob extends DescribeTrainingJobResponse {
  OutputDataConfig: OutputDataConfig;
  TrainingJobStatus: JobStatus;
  SecondaryStatusTransitions: StatusTransition[];
  AlgorithmSpecification: AlgorithmSpecification & { TrainingImage: string };
  InputDataConfig?: S3Channel[];
  ResourceConfig: ResourceConfig & { InstanceType: string; InstanceCount: number; VolumeSizeInGB: number };
  StoppingCondition: StoppingCondition & { MaxRuntimeInSeconds: number };
  LastModifiedTime: number;
}

/** A CreateTrainingJob request, read and checked. */
export type CreateRequest = Omit<
  TrainingJob,
  | 'TrainingJobArn'
  | 'TrainingJobStatus'
  | 'SecondaryStatus'
  | 'SecondaryStatusTransitions'
  | 'CreationTime'
  | 'LastModifiedTime'
  | 'ModelArtifacts'
>;

/** Members the model leaves optional (it has other ways to say them) that a job here must have. */
function needed<T>(value: T | undefined, member: string): T {
  if (value === undefined || value === null)
    throw validation(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null (the local SageMaker needs it to run the job)`,
    );
  return value;
}

/**
 * What the service model cannot say of a CreateTrainingJob request (its shapes, patterns, lengths
 * and counts were checked against it before): the members a job here needs, the input mode it
 * runs, metric regexes that compile, channel names that are not `.`/`..` and appear once, and
 * spot training's wait.
 */
export function checkCreate(input: CreateTrainingJobRequest): CreateRequest {
  const algorithm = needed(input.AlgorithmSpecification, 'algorithmSpecification');
  const image = needed(algorithm.TrainingImage, 'algorithmSpecification.trainingImage');
  if ((algorithm.ContainerEntrypoint || algorithm.ContainerArguments) && image.startsWith('file://'))
    throw validation(
      'AlgorithmSpecification.ContainerEntrypoint and ContainerArguments need a container image: the local SageMaker runs a program folder (file://) as processes, with its own train program',
    );
  for (const metric of algorithm.MetricDefinitions ?? []) {
    try {
      new RegExp(metric.Regex);
    } catch {
      throw validation(`MetricDefinitions: the regex of ${metric.Name} is not valid: ${metric.Regex}`);
    }
  }
  const names = new Set<string>();
  const channels: S3Channel[] = [];
  for (const channel of input.InputDataConfig ?? []) {
    // `.` and `..` fit the pattern but would name the data folder itself or its parent.
    if (/^\.{1,2}$/.test(channel.ChannelName))
      throw validation(`invalid ChannelName: ${channel.ChannelName}`);
    if (names.has(channel.ChannelName)) throw validation(`duplicate ChannelName: ${channel.ChannelName}`);
    names.add(channel.ChannelName);
    const s3 = channel.DataSource.S3DataSource;
    if (!s3)
      throw validation(
        `channel ${channel.ChannelName}: only S3DataSource is supported by the local SageMaker`,
      );
    channels.push({ ...channel, DataSource: { ...channel.DataSource, S3DataSource: s3 } });
  }
  const resources = needed(input.ResourceConfig, 'resourceConfig');
  const stopping = needed(input.StoppingCondition, 'stoppingCondition');
  const maxRuntime = needed(stopping.MaxRuntimeInSeconds, 'stoppingCondition.maxRuntimeInSeconds');
  if (maxRuntime > 2_419_200) throw validation('MaxRuntimeInSeconds must be from 1 to 2419200');
  const spot = input.EnableManagedSpotTraining;
  if (spot && !(stopping.MaxWaitTimeInSeconds && stopping.MaxWaitTimeInSeconds >= maxRuntime)) {
    throw validation(
      'managed spot training needs StoppingCondition.MaxWaitTimeInSeconds of at least MaxRuntimeInSeconds',
    );
  }
  return {
    TrainingJobName: input.TrainingJobName,
    AlgorithmSpecification: {
      TrainingImage: image,
      TrainingInputMode: algorithm.TrainingInputMode,
      ...(algorithm.MetricDefinitions ? { MetricDefinitions: algorithm.MetricDefinitions } : {}),
      ...(algorithm.ContainerEntrypoint ? { ContainerEntrypoint: algorithm.ContainerEntrypoint } : {}),
      ...(algorithm.ContainerArguments ? { ContainerArguments: algorithm.ContainerArguments } : {}),
    },
    RoleArn: input.RoleArn,
    HyperParameters: input.HyperParameters ?? {},
    InputDataConfig: channels,
    OutputDataConfig: input.OutputDataConfig,
    ResourceConfig: {
      InstanceType: needed(resources.InstanceType, 'resourceConfig.instanceType'),
      InstanceCount: needed(resources.InstanceCount, 'resourceConfig.instanceCount'),
      VolumeSizeInGB: needed(resources.VolumeSizeInGB, 'resourceConfig.volumeSizeInGB'),
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: maxRuntime,
      ...(stopping.MaxWaitTimeInSeconds !== undefined
        ? { MaxWaitTimeInSeconds: stopping.MaxWaitTimeInSeconds }
        : {}),
    },
    ...(input.Environment ? { Environment: input.Environment } : {}),
    ...(input.CheckpointConfig ? { CheckpointConfig: input.CheckpointConfig } : {}),
    ...(spot !== undefined ? { EnableManagedSpotTraining: spot } : {}),
    ...(input.CheckpointConfig ? { CheckpointConfig: input.CheckpointConfig } : {}),
  };
}

/** `S3OutputPath/JOB/output`: where a job's model.tar.gz and output.tar.gz go. */
export const outputPrefix = (job: {
  OutputDataConfig: { S3OutputPath: string };
  TrainingJobName: string;
}): string => `${job.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${job.TrainingJobName}/output`;

/** The statuses a job ends in: nothing moves it on from them. */
const FINAL: ReadonlySet<SecondaryStatus> = new Set(['Completed', 'Failed', 'Stopped', 'MaxRuntimeExceeded']);

/**
 * Moves a job to a SecondaryStatus: the previous one ends now, the new one starts, with its
 * message. A job that has ended never moves again (a second end would rewrite its history).
 */
export function transition(job: TrainingJob, status: SecondaryStatus, message: string): void {
  if (FINAL.has(job.SecondaryStatus))
    throw new Error(
      `training job ${job.TrainingJobName} has ended (${job.SecondaryStatus}): it cannot move to ${status}`,
    );
  const now = epochSeconds();
  const last = job.SecondaryStatusTransitions.at(-1);
  if (last && last.EndTime === undefined) last.EndTime = now;
  job.SecondaryStatus = status;
  job.SecondaryStatusTransitions.push({ Status: status, StartTime: now, StatusMessage: message });
}
