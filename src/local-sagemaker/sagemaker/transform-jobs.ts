// Batch transform jobs of the local SageMaker, the API and the store: CreateTransformJob,
// DescribeTransformJob, StopTransformJob and ListTransformJobs, each job kept as its record in its
// folder with its log; transform-job-runner.ts really runs it, on the model's own image. What it
// does not run (several instances, compressed or manifest inputs, streaming payloads, input and
// output filters, data capture, KMS keys) is refused by the honoured-members guard.
import { mkdir } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { formatOf, JsonPathError, parseJsonPath } from '../../shared/transform-records.js';
import { STOPPED_WITH_SERVER } from '../daemon.js';
import type {
  CreateTransformJobRequest,
  CreateTransformJobResponse,
  ListTransformJobsRequest,
  ListTransformJobsResponse,
  Operations as SageMakerOperations,
} from '../generated/sagemaker-wire.js';
import { type LogStream, TRANSFORM_LOG_GROUP } from '../logs/logs.js';
import { ACCOUNT } from '../protocol/account.js';
import { inUse, validation } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { LIST_JOBS_MEMBERS, listPage } from '../protocol/list-page.js';
import { epochSeconds } from '../protocol/request-fields.js';
import type { StatusFeed } from '../protocol/status-feed.js';
import { JobStore } from './job-store.js';
import type { TagStore } from './tags.js';
import { runTransformJob, type TransformJob, type TransformStopReason } from './transform-job-runner.js';

export interface TransformJobsOptions {
  /** Where jobs live: one folder per job with job.json, log.jsonl and the model it serves. */
  dir: string;
  region: string;
  s3: S3Client;
  tags?: TagStore;
  owner?: string;
  /** The models the jobs serve (hosting.ts). */
  models: {
    mustHaveModel(name: string): Promise<void>;
    prepareModel(name: string, dir: string): Promise<{ image: string; env?: Record<string, string> }>;
  };
  /** Hears of each job's status changes (a client waits on them instead of a fixed delay). */
  statusFeed?: StatusFeed;
}

const TRANSFORM_HONOURED: HonouredMembers<SageMakerOperations> = {
  CreateTransformJob: [
    'TransformJobName',
    'ModelName',
    'MaxConcurrentTransforms',
    'MaxPayloadInMB',
    'BatchStrategy',
    'Environment',
    'Tags',
    'TransformInput.DataSource.S3DataSource.S3DataType=S3Prefix',
    'TransformInput.DataSource.S3DataSource.S3Uri',
    'TransformInput.ContentType',
    'TransformInput.CompressionType=None',
    'TransformInput.SplitType=None|Line',
    'TransformOutput.S3OutputPath',
    'TransformOutput.Accept',
    'TransformOutput.AssembleWith=None|Line',
    'TransformResources.InstanceType',
    'TransformResources.InstanceCount=1',
    'DataProcessing.InputFilter',
    'DataProcessing.OutputFilter',
    'DataProcessing.JoinSource',
  ],
  DescribeTransformJob: ['TransformJobName'],
  StopTransformJob: ['TransformJobName'],
  ListTransformJobs: LIST_JOBS_MEMBERS,
};

/** What a DataProcessing needs to be run: filters SageMaker can read, records it can see as JSON. */
function checkDataProcessing(input: CreateTransformJobRequest): void {
  const processing = input.DataProcessing;
  if (!processing) return;
  const filters = [
    ['DataProcessing.InputFilter', processing.InputFilter],
    ['DataProcessing.OutputFilter', processing.OutputFilter],
  ] as const;
  for (const [member, filter] of filters)
    if (filter !== undefined)
      try {
        parseJsonPath(filter, member);
      } catch (error) {
        throw error instanceof JsonPathError ? validation(error.message) : error;
      }
  const active =
    (processing.InputFilter ?? '$') !== '$' ||
    (processing.OutputFilter ?? '$') !== '$' ||
    processing.JoinSource === 'Input';
  if (!active) return;
  if (input.TransformInput.SplitType !== 'Line')
    throw validation(
      'DataProcessing filters and JoinSource work on records: give TransformInput.SplitType Line.',
    );
  const inFormat = formatOf(input.TransformInput.ContentType);
  if (!inFormat)
    throw validation(
      'DataProcessing needs TransformInput.ContentType text/csv, application/json or application/jsonlines: the records are read as JSON.',
    );
  const outFormat = formatOf(input.TransformOutput.Accept) ?? inFormat;
  if (processing.JoinSource === 'Input' && outFormat !== inFormat)
    throw validation(
      'JoinSource Input with an Accept of another format than the input is not supported by the local SageMaker: give the same format (CSV or JSON) for both.',
    );
}

export class TransformJobs {
  private readonly store: JobStore<TransformJob, TransformStopReason>;

  constructor(private readonly options: TransformJobsOptions) {
    this.store = new JobStore(options.dir, (job) => job.TransformJobName, {
      feed: options.statusFeed,
      type: 'transform-job',
      statusOf: (job) => job.TransformJobStatus,
    });
  }

  private arnOf(name: string): string {
    return `arn:aws:sagemaker:${this.options.region}:${ACCOUNT}:transform-job/${name.toLowerCase()}`;
  }

  /** Jobs a previous process was running cannot be followed any more: they failed. */
  async reconcile(): Promise<void> {
    for (const job of await this.store.loadAll()) {
      if (job.TransformJobStatus !== 'InProgress' && job.TransformJobStatus !== 'Stopping') continue;
      job.TransformJobStatus = 'Failed';
      job.FailureReason = STOPPED_WITH_SERVER;
      job.TransformEndTime = epochSeconds();
      await this.store.save(job);
    }
  }

  operations(): Record<string, Operation> {
    return handlers<SageMakerOperations>(
      {
        CreateTransformJob: (input) => this.store.oneAtATime(() => this.create(input)),
        DescribeTransformJob: async (input) => {
          const { LastModifiedTime: _modified, ...described } = await this.describe(input.TransformJobName);
          return described;
        },
        StopTransformJob: (input) => this.stop(input.TransformJobName),
        ListTransformJobs: (input) => this.list(input),
      },
      TRANSFORM_HONOURED,
    );
  }

  async create(input: CreateTransformJobRequest): Promise<CreateTransformJobResponse> {
    if (input.MaxPayloadInMB === 0)
      throw validation(
        'MaxPayloadInMB 0 (a payload streamed in chunks) is not supported by the local SageMaker; give 1 to 100.',
      );
    checkDataProcessing(input);
    await this.options.models.mustHaveModel(input.ModelName);
    const name = input.TransformJobName;
    const arn = this.arnOf(name);
    if (await this.store.findByLowerCaseName(name.toLowerCase()))
      throw inUse(
        `Job name must be unique within an AWS account and region, and a job with this name already exists (${arn})`,
      );
    const { Tags: _tags, ...request } = input;
    const now = epochSeconds();
    const job: TransformJob = {
      ...request,
      TransformJobArn: arn,
      TransformJobStatus: 'InProgress',
      CreationTime: now,
      LastModifiedTime: now,
    };
    await mkdir(this.store.jobDir(name), { recursive: true });
    await this.store.save(job);
    if (input.Tags) await this.options.tags?.add(arn, input.Tags);
    this.store.run(job, (controls) =>
      runTransformJob(job, {
        dir: this.store.jobDir(name),
        log: this.store.logOf(name),
        save: () => this.store.save(job),
        prepareModel: (model, dir) => this.options.models.prepareModel(model, dir),
        options: { s3: this.options.s3, ...(this.options.owner ? { owner: this.options.owner } : {}) },
        signal: controls.signal,
        stoppedAs: controls.stoppedAs,
      }),
    );
    return { TransformJobArn: arn };
  }

  async describe(name: string): Promise<TransformJob> {
    const job = await this.store.load(name);
    // As the peer (moto) answers, after SageMaker's other Describe calls.
    if (!job) throw validation(`Could not find transform job '${this.arnOf(name)}'.`);
    return job;
  }

  async stop(name: string): Promise<Record<string, never>> {
    const job = await this.describe(name);
    // SageMaker stops a job that is in progress; one that has ended stays as it ended.
    if (job.TransformJobStatus !== 'InProgress') return {};
    job.TransformJobStatus = 'Stopping';
    await this.store.save(job);
    this.store.stop(name, 'Stopped');
    return {};
  }

  async list(input: ListTransformJobsRequest): Promise<ListTransformJobsResponse> {
    const { page, NextToken } = listPage(
      await this.store.loadAll(),
      input,
      (job) => ({
        name: job.TransformJobName,
        creationTime: job.CreationTime,
        lastModifiedTime: job.LastModifiedTime ?? job.CreationTime,
        status: job.TransformJobStatus,
      }),
      { operation: 'ListTransformJobs' },
    );
    return {
      TransformJobSummaries: page.map((job) => ({
        TransformJobName: job.TransformJobName,
        TransformJobArn: job.TransformJobArn,
        CreationTime: job.CreationTime,
        ...(job.TransformEndTime !== undefined ? { TransformEndTime: job.TransformEndTime } : {}),
        ...(job.LastModifiedTime !== undefined ? { LastModifiedTime: job.LastModifiedTime } : {}),
        TransformJobStatus: job.TransformJobStatus,
        ...(job.FailureReason ? { FailureReason: job.FailureReason } : {}),
      })),
      ...(NextToken ? { NextToken } : {}),
    };
  }

  /** Whether the ARN names a transform job of this store. */
  arnExists(arn: string): Promise<boolean> {
    return this.store.arnExists(arn, 'transform-job', (job) => job.TransformJobArn);
  }

  /** Each job's log: /aws/sagemaker/TransformJobs, JOB/algo-1-EPOCH. */
  logStreams(): Promise<LogStream[]> {
    return this.store.singleHostLogStreams(TRANSFORM_LOG_GROUP);
  }

  /** The server is closing: running jobs fail as jobs whose server went away. */
  stopAll(): void {
    this.store.stopAll('ServerStopped');
  }

  idle(): Promise<void> {
    return this.store.idle();
  }
}
