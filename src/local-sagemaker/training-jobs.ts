// Training jobs of the local SageMaker: CreateTrainingJob, DescribeTrainingJob, StopTrainingJob
// and ListTrainingJobs, validated as SageMaker validates them, and really run: the channels come
// down from S3 into a folder laid out as /opt/ml, the image's `train` runs in it (docker, or the
// programs as processes for a file:// image), and the model goes back up as model.tar.gz.

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { BuiltImage, ContainerRuntime } from '../runtimes/container-runtime.js';
import { dockerRuntime } from '../runtimes/docker/docker-runtime.js';
import { processRuntime } from '../runtimes/process-runtime.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';
import { ACCOUNT } from './account.js';
import { inUse, validation } from './aws-error.js';
import { STOPPED_WITH_SERVER } from './daemon.js';
import { checkFileImage, type FileImagePolicy } from './file-images.js';
import type {
  AlgorithmSpecification,
  Channel,
  CreateTrainingJobRequest,
  CreateTrainingJobResponse,
  DescribeTrainingJobResponse,
  ListTrainingJobsRequest,
  ListTrainingJobsResponse,
  OutputDataConfig,
  ResourceConfig,
  S3DataSource,
  Operations as SageMakerOperations,
  SecondaryStatus,
  StoppingCondition,
} from './generated/sagemaker-wire.js';
import { JobLog } from './job-log.js';
import { handlers, type Operation } from './json-service.js';
import { listPage } from './list-page.js';
import { type LogStream, TRAINING_LOG_GROUP } from './logs.js';
import { epochSeconds } from './request-fields.js';
import { downloadPrefix, parseS3Uri, type StoredObjects, uploadFolderAsTarGz } from './s3-transfer.js';
import { pathInside } from './store-path.js';
import { resourceOfArn, type TagStore } from './tags.js';

type JobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
/** Why a running job was ended: StopTrainingJob, its max runtime, or its server closing. */
type StopReason = 'Stopped' | 'MaxRuntimeExceeded' | 'ServerStopped';

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

export interface TrainingJobsOptions {
  /** Where jobs live: one folder per job with job.json, log.jsonl and the /opt/ml folder. */
  dir: string;
  region: string;
  s3: S3Client;
  /** The same S3's objects read in place: a channel's download. */
  objects: StoredObjects;
  /** SIGTERM to SIGKILL when a job is stopped (SageMaker: 120 s). */
  stopGraceSeconds?: number;
  /** Tags given at creation go here. */
  tags?: TagStore;
  /** Labels every training container as this local SageMaker's (its data folder). */
  owner?: string;
  /** Which file:// images it runs (as processes of its owner); none when absent. */
  fileImages?: FileImagePolicy;
}

/** A CreateTrainingJob request, read and checked. */
type CreateRequest = Omit<
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
function checkCreate(input: CreateTrainingJobRequest): CreateRequest {
  const algorithm = needed(input.AlgorithmSpecification, 'algorithmSpecification');
  const image = needed(algorithm.TrainingImage, 'algorithmSpecification.trainingImage');
  if (algorithm.TrainingInputMode !== 'File')
    throw validation(`TrainingInputMode ${algorithm.TrainingInputMode} is not supported locally; use File`);
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
    ...(spot !== undefined ? { EnableManagedSpotTraining: spot } : {}),
    ...(input.CheckpointConfig ? { CheckpointConfig: input.CheckpointConfig } : {}),
  };
}

/** A job that cannot start, with its FailureReason as SageMaker words it. */
class JobSetupError extends Error {}

/** `S3OutputPath/JOB/output`: where a job's model.tar.gz and output.tar.gz go. */
const outputPrefix = (job: { OutputDataConfig: { S3OutputPath: string }; TrainingJobName: string }): string =>
  `${job.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${job.TrainingJobName}/output`;

/** The runtime and image for a TrainingImage: file:///DIR runs DIR's programs as processes. */
export function imageFor(trainingImage: string): { runtime: ContainerRuntime; image: BuiltImage } {
  if (trainingImage.startsWith('file://')) {
    const programDir = fileURLToPath(trainingImage);
    return {
      runtime: processRuntime,
      image: { runtime: 'process', image: trainingImage, programDir, contentHash: '' },
    };
  }
  return {
    runtime: dockerRuntime,
    image: { runtime: 'docker', image: trainingImage, imageId: trainingImage },
  };
}

export class TrainingJobs {
  /** Running jobs, by name: their live record (the one saved) and how to stop them. */
  private readonly active = new Map<string, { job: TrainingJob; stop(reason: StopReason): void }>();
  private readonly writes = new Map<string, Promise<void>>();
  private creating: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: TrainingJobsOptions) {}

  private jobDir(name: string): string {
    return pathInside(this.options.dir, name);
  }

  private async load(name: string): Promise<TrainingJob | undefined> {
    const running = this.active.get(name);
    if (running) return running.job;
    try {
      return JSON.parse(await readFile(join(this.jobDir(name), 'job.json'), 'utf8')) as TrainingJob;
    } catch {
      return undefined;
    }
  }

  /** Writes a job's record; writes to one job are serialised so that none is lost. */
  private save(job: TrainingJob): Promise<void> {
    job.LastModifiedTime = epochSeconds();
    const text = `${JSON.stringify(job, null, 2)}\n`;
    const previous = this.writes.get(job.TrainingJobName) ?? Promise.resolve();
    const next = previous.then(() =>
      writeFileAtomic(join(this.jobDir(job.TrainingJobName), 'job.json'), text),
    );
    this.writes.set(
      job.TrainingJobName,
      next.catch(() => undefined),
    );
    return next;
  }

  private transition(job: TrainingJob, status: SecondaryStatus, message: string): void {
    const now = epochSeconds();
    const last = job.SecondaryStatusTransitions.at(-1);
    if (last && last.EndTime === undefined) last.EndTime = now;
    job.SecondaryStatus = status;
    job.SecondaryStatusTransitions.push({ Status: status, StartTime: now, StatusMessage: message });
  }

  /** Jobs a previous process was running cannot be followed any more: they failed. */
  async reconcile(): Promise<void> {
    const names = await readdir(this.options.dir).catch(() => [] as string[]);
    for (const name of names) {
      const job = await this.load(name);
      if (
        !job ||
        this.active.has(name) ||
        (job.TrainingJobStatus !== 'InProgress' && job.TrainingJobStatus !== 'Stopping')
      )
        continue;
      job.TrainingJobStatus = 'Failed';
      job.FailureReason = STOPPED_WITH_SERVER;
      this.transition(job, 'Failed', job.FailureReason);
      job.TrainingEndTime = epochSeconds();
      await this.save(job);
    }
  }

  operations(): Record<string, Operation> {
    return handlers<SageMakerOperations>({
      CreateTrainingJob: (input) => {
        // One create at a time: two of one name at once would both find it free.
        const created = this.creating.then(() => this.create(input));
        this.creating = created.catch(() => undefined);
        return created;
      },
      DescribeTrainingJob: (input) => this.describe(input.TrainingJobName),
      StopTrainingJob: (input) => this.stop(input.TrainingJobName),
      ListTrainingJobs: (input) => this.list(input),
    });
  }

  async create(input: CreateTrainingJobRequest): Promise<CreateTrainingJobResponse> {
    const request = checkCreate(input);
    checkFileImage(
      request.AlgorithmSpecification.TrainingImage,
      this.options.fileImages ?? { roots: [] },
      'AlgorithmSpecification.TrainingImage',
    );
    const name = request.TrainingJobName;
    const arn = `arn:aws:sagemaker:${this.options.region}:${ACCOUNT}:training-job/${name.toLowerCase()}`;
    // Names are unique regardless of case, as on SageMaker (the ARN holds the lower-case name).
    if ((await this.load(name)) || (await this.findByLowerCaseName(name.toLowerCase()))) {
      throw inUse(
        `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn})`,
      );
    }
    await this.requireChannelData(request);
    const now = epochSeconds();
    const job: TrainingJob = {
      ...request,
      TrainingJobArn: arn,
      ModelArtifacts: { S3ModelArtifacts: `${outputPrefix(request)}/model.tar.gz` },
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: 'Starting',
      SecondaryStatusTransitions: [
        { Status: 'Starting', StartTime: now, StatusMessage: 'Preparing the instances for training' },
      ],
      CreationTime: now,
      LastModifiedTime: now,
    };
    await mkdir(this.jobDir(name), { recursive: true });
    await this.save(job);
    if (input.Tags) await this.options.tags?.add(arn, input.Tags);
    this.execute(job);
    return { TrainingJobArn: arn };
  }

  /**
   * SageMaker refuses a job whose channel has no objects under its S3 URI (or whose bucket does not
   * exist) when it is created, not after it starts: so does this one, with its message.
   */
  private async requireChannelData(request: CreateRequest): Promise<void> {
    for (const channel of request.InputDataConfig ?? []) {
      const uri = channel.DataSource.S3DataSource.S3Uri;
      const { bucket, key } = parseS3Uri(uri);
      const found = await this.options.s3
        .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }))
        .then(
          (page) => (page.KeyCount ?? page.Contents?.length ?? 0) > 0,
          (error: { name?: string }) => {
            if (error.name === 'NoSuchBucket') return false;
            throw error;
          },
        );
      if (!found)
        throw validation(
          `No S3 objects found under S3 URL "${uri}" given in input data source. Please ensure that the bucket exists in the selected region (${this.options.region}), that objects exist under that S3 prefix, and that the role "${request.RoleArn}" has "s3:ListBucket" permissions on bucket "${bucket}".`,
        );
    }
  }

  /** Whether the ARN names a training job of this store. */
  async arnExists(arn: string): Promise<boolean> {
    const resource = resourceOfArn(arn);
    if (resource?.kind !== 'training-job') return false;
    return (await this.findByLowerCaseName(resource.name))?.TrainingJobArn === arn;
  }

  private async findByLowerCaseName(name: string): Promise<TrainingJob | undefined> {
    const names = await this.jobNames();
    const match = names.find((candidate) => candidate.toLowerCase() === name);
    return match === undefined ? undefined : this.load(match);
  }

  async describe(name: string): Promise<TrainingJob> {
    const job = await this.load(name);
    // SageMaker's own answer, which the aws CLI's waiters rely on: not ResourceNotFound.
    if (!job) throw validation('Requested resource not found.');
    return job;
  }

  async stop(name: string): Promise<Record<string, never>> {
    const job = await this.describe(name);
    if (job.TrainingJobStatus !== 'InProgress') {
      throw validation(
        `The request was rejected because the training job is in status ${job.TrainingJobStatus}.`,
      );
    }
    job.TrainingJobStatus = 'Stopping';
    this.transition(job, 'Stopping', 'Stopping the training job');
    await this.save(job);
    this.active.get(job.TrainingJobName)?.stop('Stopped');
    return {};
  }

  async list(input: ListTrainingJobsRequest): Promise<ListTrainingJobsResponse> {
    const names = await readdir(this.options.dir).catch(() => [] as string[]);
    const jobs = (await Promise.all(names.map((name) => this.load(name)))).filter(
      (job): job is TrainingJob => job !== undefined,
    );
    const { page, NextToken } = listPage(
      jobs,
      input,
      (job) => ({
        name: job.TrainingJobName,
        creationTime: job.CreationTime,
        lastModifiedTime: job.LastModifiedTime,
        status: job.TrainingJobStatus,
      }),
      { operation: 'ListTrainingJobs' },
    );
    return {
      TrainingJobSummaries: page.map((job) => ({
        TrainingJobName: job.TrainingJobName,
        TrainingJobArn: job.TrainingJobArn,
        CreationTime: job.CreationTime,
        TrainingEndTime: job.TrainingEndTime,
        LastModifiedTime: job.LastModifiedTime,
        TrainingJobStatus: job.TrainingJobStatus,
      })),
      ...(NextToken ? { NextToken } : {}),
    };
  }

  /** Every job's log as a CloudWatch Logs stream: /aws/sagemaker/TrainingJobs, JOB/algo-1-EPOCH. */
  async logStreams(): Promise<LogStream[]> {
    const jobs = await Promise.all((await this.jobNames()).map((name) => this.load(name)));
    return jobs
      .filter((job): job is TrainingJob => job !== undefined)
      .map((job) => ({
        group: TRAINING_LOG_GROUP,
        name: `${job.TrainingJobName}/algo-1-${Math.floor(job.CreationTime)}`,
        creationTime: Math.floor(job.CreationTime * 1000),
        events: () => this.logOf(job.TrainingJobName).read(),
      }));
  }

  /** The job's log, for the CloudWatch Logs calls. */
  logOf(name: string): JobLog {
    return new JobLog(join(this.jobDir(name), 'log.jsonl'));
  }

  async jobNames(): Promise<string[]> {
    return readdir(this.options.dir).catch(() => [] as string[]);
  }

  /** Starts the job in the background; it is `active` until its final status is saved. */
  private execute(job: TrainingJob): void {
    const controller = new AbortController();
    let stoppedAs: StopReason | undefined;
    const stop = (reason: StopReason) => {
      stoppedAs ??= reason;
      controller.abort();
    };
    this.active.set(job.TrainingJobName, { job, stop });
    void this.run(job, controller.signal, () => stoppedAs, stop);
  }

  private async run(
    job: TrainingJob,
    signal: AbortSignal,
    stoppedAs: () => StopReason | undefined,
    stop: (reason: 'MaxRuntimeExceeded') => void,
  ): Promise<void> {
    const name = job.TrainingJobName;
    const mlDir = join(this.jobDir(name), 'opt-ml');
    const log = this.logOf(name);
    const metrics = new Map<string, number>();
    const definitions = (job.AlgorithmSpecification.MetricDefinitions ?? []).map((d) => ({
      name: d.Name,
      regex: new RegExp(d.Regex),
    }));
    const onLine = (line: string) => {
      log.append(line);
      for (const definition of definitions) {
        const value = Number(line.match(definition.regex)?.[1]);
        if (Number.isFinite(value)) metrics.set(definition.name, value);
      }
    };
    let trainingStarted: number | undefined;
    const { runtime, image } = imageFor(job.AlgorithmSpecification.TrainingImage);
    try {
      // As on SageMaker, an image that cannot be had fails the job while it is Starting.
      try {
        await runtime.prepareImage(image, 'train');
      } catch (error) {
        throw new JobSetupError(`ClientError: ${(error as Error).message}`);
      }
      this.transition(job, 'Downloading', 'Downloading input data');
      await this.save(job);
      const channelConfig: Record<string, unknown> = {};
      for (const channel of job.InputDataConfig ?? []) {
        const source = channel.DataSource.S3DataSource;
        await downloadPrefix(
          this.options.objects,
          source.S3Uri,
          join(mlDir, 'input', 'data', channel.ChannelName),
        );
        channelConfig[channel.ChannelName] = {
          ...(channel.ContentType ? { ContentType: channel.ContentType } : {}),
          TrainingInputMode: 'File',
          S3DistributionType: source.S3DataDistributionType ?? 'FullyReplicated',
          RecordWrapperType: 'None',
        };
      }
      const config = join(mlDir, 'input', 'config');
      await mkdir(config, { recursive: true });
      await mkdir(join(mlDir, 'model'), { recursive: true });
      await mkdir(join(mlDir, 'output', 'data'), { recursive: true });
      await writeFile(join(config, 'hyperparameters.json'), JSON.stringify(job.HyperParameters ?? {}));
      await writeFile(join(config, 'inputdataconfig.json'), JSON.stringify(channelConfig));
      const hosts = Array.from({ length: job.ResourceConfig.InstanceCount }, (_, i) => `algo-${i + 1}`);
      await writeFile(
        join(config, 'resourceconfig.json'),
        JSON.stringify({ current_host: 'algo-1', hosts, network_interface_name: 'eth0' }),
      );

      this.transition(job, 'Training', 'Training image download completed. Training in progress.');
      trainingStarted = Date.now();
      job.TrainingStartTime = epochSeconds();
      await this.save(job);
      const timer = setTimeout(
        () => stop('MaxRuntimeExceeded'),
        job.StoppingCondition.MaxRuntimeInSeconds * 1000,
      );
      const { exitCode } = await runtime
        .train({
          image,
          mlDir,
          env: { ...job.Environment, TRAINING_JOB_NAME: name, TRAINING_JOB_ARN: job.TrainingJobArn },
          log: onLine,
          signal,
          stopGraceSeconds: this.options.stopGraceSeconds ?? 120,
          ...(this.options.owner ? { owner: this.options.owner } : {}),
        })
        .finally(() => clearTimeout(timer));
      const trainingSeconds = Math.max(1, Math.round((Date.now() - trainingStarted) / 1000));

      this.transition(job, 'Uploading', 'Uploading generated training model');
      await this.save(job);
      const output = outputPrefix(job);
      const scratch = join(this.jobDir(name), 'archives');
      if (
        await uploadFolderAsTarGz(this.options.s3, join(mlDir, 'model'), `${output}/model.tar.gz`, scratch)
      ) {
        job.ModelArtifacts = { S3ModelArtifacts: `${output}/model.tar.gz` };
      }
      await uploadFolderAsTarGz(
        this.options.s3,
        join(mlDir, 'output', 'data'),
        `${output}/output.tar.gz`,
        scratch,
      );

      job.TrainingTimeInSeconds = trainingSeconds;
      job.BillableTimeInSeconds = trainingSeconds;
      job.FinalMetricDataList = [...metrics].map(([MetricName, Value]) => ({
        MetricName,
        Value,
        Timestamp: epochSeconds(),
      }));
      const stopReason = stoppedAs();
      if (stopReason === 'ServerStopped') {
        job.TrainingJobStatus = 'Failed';
        job.FailureReason = STOPPED_WITH_SERVER;
        this.transition(job, 'Failed', job.FailureReason);
      } else if (stopReason) {
        job.TrainingJobStatus = 'Stopped';
        this.transition(
          job,
          stopReason,
          stopReason === 'Stopped' ? 'Training job stopped' : 'The job exceeded MaxRuntimeInSeconds',
        );
      } else if (exitCode === 0) {
        job.TrainingJobStatus = 'Completed';
        this.transition(job, 'Completed', 'Training job completed');
      } else {
        const failure = (await readFile(join(mlDir, 'output', 'failure'), 'utf8').catch(() => '')).trim();
        job.TrainingJobStatus = 'Failed';
        job.FailureReason = `AlgorithmError: ${failure ? failure.slice(0, 1024) : `the training program exited with code ${exitCode}`}`;
        this.transition(job, 'Failed', job.FailureReason);
      }
    } catch (error) {
      job.TrainingJobStatus = 'Failed';
      job.FailureReason = (
        error instanceof JobSetupError ? error.message : `ClientError: ${(error as Error).message}`
      ).slice(0, 1024);
      this.transition(job, 'Failed', job.FailureReason);
      log.append(job.FailureReason);
    } finally {
      const last = job.SecondaryStatusTransitions.at(-1);
      if (last) last.EndTime = epochSeconds();
      job.TrainingEndTime = epochSeconds();
      await this.save(job);
      this.active.delete(name);
    }
  }

  /**
   * Stops every running job (the server is closing): they fail as a job does whose server went
   * away, which a re-attaching run takes as a reason to train again; only StopTrainingJob stops.
   */
  stopAll(): void {
    for (const job of this.active.values()) job.stop('ServerStopped');
  }

  /** Resolves when no job is running any more. */
  async idle(): Promise<void> {
    while (this.active.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all(this.writes.values());
  }
}
