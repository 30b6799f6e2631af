// Training jobs of the local SageMaker, the API and the store: CreateTrainingJob,
// DescribeTrainingJob, StopTrainingJob and ListTrainingJobs, each job kept as its record in its
// folder. A request becomes a record in training-job-record.ts (which also moves its status), and
// training-job-runner.ts really runs it.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { trainingHosts } from '../../runtimes/opt-ml.js';
import { STOPPED_WITH_SERVER } from '../daemon.js';
import type {
  CreateTrainingJobRequest,
  CreateTrainingJobResponse,
  ListTrainingJobsRequest,
  ListTrainingJobsResponse,
  Operations as SageMakerOperations,
} from '../generated/sagemaker-wire.js';
import { type LogStream, TRAINING_LOG_GROUP } from '../logs/logs.js';
import { ACCOUNT } from '../protocol/account.js';
import { inUse, validation } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { LIST_JOBS_MEMBERS, listPage } from '../protocol/list-page.js';
import { epochSeconds } from '../protocol/request-fields.js';
import type { StatusFeed } from '../protocol/status-feed.js';
import { hasObjectsUnder, parseS3Uri, type StoredObjects } from '../s3/s3-transfer.js';
import { checkFileImage, type FileImagePolicy } from './file-images.js';
import type { JobLog } from './job-log.js';
import { JobStore } from './job-store.js';
import type { TagStore } from './tags.js';
import {
  type CreateRequest,
  checkCreate,
  outputPrefix,
  type StopReason,
  type TrainingJob,
  transition,
} from './training-job-record.js';
import { imageFor, runTrainingJob } from './training-job-runner.js';

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
  /** Hears of each job's status changes (a client waits on them instead of a fixed delay). */
  statusFeed?: StatusFeed;
}

/**
 * What the training operations honour (protocol/honoured-members.ts): a job runs a container per
 * instance in File mode on S3 prefixes or manifests, its model packed as model.tar.gz or not.
 */
const TRAINING_HONOURED: HonouredMembers<SageMakerOperations> = {
  CreateTrainingJob: [
    'TrainingJobName',
    'HyperParameters',
    'Environment',
    'RoleArn',
    'Tags',
    'AlgorithmSpecification.TrainingImage',
    'AlgorithmSpecification.TrainingInputMode=File',
    'AlgorithmSpecification.MetricDefinitions',
    'AlgorithmSpecification.ContainerEntrypoint',
    'AlgorithmSpecification.ContainerArguments',
    'InputDataConfig[].ChannelName',
    'InputDataConfig[].ContentType',
    'InputDataConfig[].InputMode=File',
    'InputDataConfig[].CompressionType=None',
    'InputDataConfig[].RecordWrapperType=None',
    'InputDataConfig[].DataSource.S3DataSource.S3Uri',
    'InputDataConfig[].DataSource.S3DataSource.S3DataType=S3Prefix|ManifestFile',
    'InputDataConfig[].DataSource.S3DataSource.S3DataDistributionType',
    'OutputDataConfig.S3OutputPath',
    'OutputDataConfig.CompressionType=GZIP|NONE',
    'ResourceConfig.InstanceType',
    'ResourceConfig.InstanceCount',
    'ResourceConfig.VolumeSizeInGB',
    'StoppingCondition.MaxRuntimeInSeconds',
    'StoppingCondition.MaxWaitTimeInSeconds',
    'EnableManagedSpotTraining',
    'CheckpointConfig.S3Uri',
    'CheckpointConfig.LocalPath=/opt/ml/checkpoints',
    'EnableInterContainerTrafficEncryption=false',
    'EnableNetworkIsolation=false',
  ],
  DescribeTrainingJob: ['TrainingJobName'],
  StopTrainingJob: ['TrainingJobName'],
  ListTrainingJobs: LIST_JOBS_MEMBERS,
};

export class TrainingJobs {
  private readonly store: JobStore<TrainingJob, StopReason>;
  /** Who reads a job's lines as they come, by job name (a tuning job, for early stopping). */
  private readonly lineWatchers = new Map<string, (line: string) => void>();

  constructor(private readonly options: TrainingJobsOptions) {
    this.store = new JobStore(options.dir, (job) => job.TrainingJobName, {
      feed: options.statusFeed,
      type: 'training-job',
      statusOf: (job) => `${job.TrainingJobStatus}/${job.SecondaryStatus}`,
    });
  }

  private load(name: string): Promise<TrainingJob | undefined> {
    return this.store.load(name);
  }

  private save(job: TrainingJob): Promise<void> {
    return this.store.save(job);
  }

  /** Jobs a previous process was running cannot be followed any more: they failed. */
  async reconcile(): Promise<void> {
    for (const job of await this.store.loadAll()) {
      if (
        this.store.isActive(job.TrainingJobName) ||
        (job.TrainingJobStatus !== 'InProgress' && job.TrainingJobStatus !== 'Stopping')
      )
        continue;
      job.TrainingJobStatus = 'Failed';
      job.FailureReason = STOPPED_WITH_SERVER;
      transition(job, 'Failed', job.FailureReason);
      job.TrainingEndTime = epochSeconds();
      await this.save(job);
    }
  }

  operations(): Record<string, Operation> {
    return handlers<SageMakerOperations>(
      {
        // One create at a time: two of one name at once would both find it free.
        CreateTrainingJob: (input) => this.store.oneAtATime(() => this.create(input)),
        DescribeTrainingJob: (input) => this.describe(input.TrainingJobName),
        StopTrainingJob: (input) => this.stop(input.TrainingJobName),
        ListTrainingJobs: (input) => this.list(input),
      },
      TRAINING_HONOURED,
    );
  }

  /** `tuningJobArn`: the tuning job that launched it (DescribeTrainingJob's TuningJobArn). */
  async create(input: CreateTrainingJobRequest, tuningJobArn?: string): Promise<CreateTrainingJobResponse> {
    const request = checkCreate(input);
    checkFileImage(
      request.AlgorithmSpecification.TrainingImage,
      this.options.fileImages ?? { roots: [] },
      'AlgorithmSpecification.TrainingImage',
    );
    const image = request.AlgorithmSpecification.TrainingImage;
    const instances = request.ResourceConfig.InstanceCount;
    if (instances > 1 && !imageFor(image).runtime.jobNetwork)
      throw validation(
        `ResourceConfig.InstanceCount ${instances} with the file:// image ${image} is not supported by the local SageMaker: its programs run as processes of this machine, which is one host. Use a docker image (one container per instance, on a network of the job's own), or InstanceCount 1.`,
      );
    const name = request.TrainingJobName;
    const arn = `arn:aws:sagemaker:${this.options.region}:${ACCOUNT}:training-job/${name.toLowerCase()}`;
    // Names are unique regardless of case, as on SageMaker (the ARN holds the lower-case name).
    if ((await this.load(name)) || (await this.store.findByLowerCaseName(name.toLowerCase()))) {
      throw inUse(
        `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn})`,
      );
    }
    await this.requireChannelData(request);
    const now = epochSeconds();
    const job: TrainingJob = {
      ...request,
      TrainingJobArn: arn,
      ...(tuningJobArn ? { TuningJobArn: tuningJobArn } : {}),
      ModelArtifacts: {
        S3ModelArtifacts:
          request.OutputDataConfig.CompressionType === 'NONE'
            ? `${outputPrefix(request)}/model/`
            : `${outputPrefix(request)}/model.tar.gz`,
      },
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: 'Starting',
      SecondaryStatusTransitions: [
        { Status: 'Starting', StartTime: now, StatusMessage: 'Preparing the instances for training' },
      ],
      CreationTime: now,
      LastModifiedTime: now,
    };
    await mkdir(this.store.jobDir(name), { recursive: true });
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
      if (!(await hasObjectsUnder(this.options.s3, uri))) {
        const { bucket } = parseS3Uri(uri);
        throw validation(
          `No S3 objects found under S3 URL "${uri}" given in input data source. Please ensure that the bucket exists in the selected region (${this.options.region}), that objects exist under that S3 prefix, and that the role "${request.RoleArn}" has "s3:ListBucket" permissions on bucket "${bucket}".`,
        );
      }
    }
  }

  /** Whether the ARN names a training job of this store. */
  arnExists(arn: string): Promise<boolean> {
    return this.store.arnExists(arn, 'training-job', (job) => job.TrainingJobArn);
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
    transition(job, 'Stopping', 'Stopping the training job');
    await this.save(job);
    this.store.stop(job.TrainingJobName, 'Stopped');
    return {};
  }

  async list(input: ListTrainingJobsRequest): Promise<ListTrainingJobsResponse> {
    const jobs = await this.store.loadAll();
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

  /**
   * Every job's log as CloudWatch Logs streams: /aws/sagemaker/TrainingJobs, JOB/HOST-EPOCH, one
   * for each of its hosts (algo-1, algo-2, …).
   */
  async logStreams(): Promise<LogStream[]> {
    return (await this.store.loadAll()).flatMap((job) =>
      trainingHosts(job.ResourceConfig.InstanceCount).map((host) => ({
        group: TRAINING_LOG_GROUP,
        name: `${job.TrainingJobName}/${host}-${Math.floor(job.CreationTime)}`,
        creationTime: Math.floor(job.CreationTime * 1000),
        events: () => this.logOf(job.TrainingJobName, host).read(),
      })),
    );
  }

  /** A host's log of the job (algo-1's holds the job's own lines), for the CloudWatch Logs calls. */
  logOf(name: string, host = 'algo-1'): JobLog {
    return this.store.logOf(name, host === 'algo-1' ? 'log.jsonl' : `log-${host}.jsonl`);
  }

  /** Starts the job in the background; it is active until its final status is saved. */
  private execute(job: TrainingJob): void {
    const name = job.TrainingJobName;
    this.store.run(job, (controls) =>
      runTrainingJob(job, {
        mlDir: join(this.store.jobDir(name), 'opt-ml'),
        scratch: join(this.store.jobDir(name), 'archives'),
        logOf: (host) => this.logOf(name, host),
        save: () => this.save(job),
        options: this.options,
        onLine: (line) => this.lineWatchers.get(name)?.(line),
        ...controls,
      }),
    );
  }

  /** Calls `watcher` with each line the job prints from now on (set it before the job starts). */
  watchLines(name: string, watcher: (line: string) => void): void {
    this.lineWatchers.set(name, watcher);
  }

  /** Settles when the job has ended (its final record saved), if it runs in this process. */
  async ended(name: string): Promise<TrainingJob> {
    await this.store.ended(name);
    this.lineWatchers.delete(name);
    return this.describe(name);
  }

  /**
   * Stops every running job (the server is closing): they fail as a job does whose server went
   * away, which a re-attaching run takes as a reason to train again; only StopTrainingJob stops.
   */
  stopAll(): void {
    this.store.stopAll('ServerStopped');
  }

  /** Resolves when no job is running any more. */
  idle(): Promise<void> {
    return this.store.idle();
  }
}
