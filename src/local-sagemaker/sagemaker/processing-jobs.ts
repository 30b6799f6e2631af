// Processing jobs of the local SageMaker, the API and the store: CreateProcessingJob,
// DescribeProcessingJob, StopProcessingJob and ListProcessingJobs, each job kept as its record in
// its folder with its log and its /opt/ml; processing-job-runner.ts really runs it. What it does
// not run (several instances, Pipe mode, continuous uploads, networking, feature store outputs,
// dataset definitions) is refused by the honoured-members guard.
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { STOPPED_WITH_SERVER } from '../daemon.js';
import type {
  CreateProcessingJobRequest,
  CreateProcessingJobResponse,
  ListProcessingJobsRequest,
  ListProcessingJobsResponse,
  Operations as SageMakerOperations,
} from '../generated/sagemaker-wire.js';
import { type LogStream, PROCESSING_LOG_GROUP } from '../logs/logs.js';
import { ACCOUNT } from '../protocol/account.js';
import { inUse, validation } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { LIST_JOBS_MEMBERS, listPage } from '../protocol/list-page.js';
import { epochSeconds } from '../protocol/request-fields.js';
import type { StatusFeed } from '../protocol/status-feed.js';
import type { StoredObjects } from '../s3/s3-transfer.js';
import { checkFileImage, type FileImagePolicy } from './file-images.js';
import { JobStore } from './job-store.js';
import { type ProcessingJob, type ProcessingStopReason, runProcessingJob } from './processing-job-runner.js';
import type { TagStore } from './tags.js';

export interface ProcessingJobsOptions {
  /** Where jobs live: one folder per job with job.json, log.jsonl and its /opt/ml. */
  dir: string;
  region: string;
  s3: S3Client;
  objects: StoredObjects;
  stopGraceSeconds?: number;
  tags?: TagStore;
  owner?: string;
  fileImages?: FileImagePolicy;
  /** Hears of each job's status changes (a client waits on them instead of a fixed delay). */
  statusFeed?: StatusFeed;
}

const PROCESSING_HONOURED: HonouredMembers<SageMakerOperations> = {
  CreateProcessingJob: [
    'ProcessingJobName',
    'RoleArn',
    'Tags',
    'Environment',
    'AppSpecification.ImageUri',
    'AppSpecification.ContainerEntrypoint',
    'AppSpecification.ContainerArguments',
    'ProcessingResources.ClusterConfig.InstanceCount=1',
    'ProcessingResources.ClusterConfig.InstanceType',
    'ProcessingResources.ClusterConfig.VolumeSizeInGB',
    'StoppingCondition.MaxRuntimeInSeconds',
    'ProcessingInputs[].InputName',
    'ProcessingInputs[].AppManaged=false',
    'ProcessingInputs[].S3Input.S3Uri',
    'ProcessingInputs[].S3Input.LocalPath',
    'ProcessingInputs[].S3Input.S3DataType=S3Prefix|ManifestFile',
    'ProcessingInputs[].S3Input.S3InputMode=File',
    'ProcessingInputs[].S3Input.S3DataDistributionType',
    'ProcessingInputs[].S3Input.S3CompressionType=None',
    'ProcessingOutputConfig.Outputs[].OutputName',
    'ProcessingOutputConfig.Outputs[].AppManaged=false',
    'ProcessingOutputConfig.Outputs[].S3Output.S3Uri',
    'ProcessingOutputConfig.Outputs[].S3Output.LocalPath',
    'ProcessingOutputConfig.Outputs[].S3Output.S3UploadMode=EndOfJob',
  ],
  DescribeProcessingJob: ['ProcessingJobName'],
  StopProcessingJob: ['ProcessingJobName'],
  ListProcessingJobs: LIST_JOBS_MEMBERS,
};

/** SageMaker Processing's container paths: inputs and outputs live under /opt/ml/processing. */
const UNDER_PROCESSING = /^\/opt\/ml\/processing\/[^\0]+$/;

function checkCreate(input: CreateProcessingJobRequest): void {
  const paths: [string, string | undefined][] = [
    ...(input.ProcessingInputs ?? []).map(
      (item, index) =>
        [`ProcessingInputs[${index}].S3Input.LocalPath`, item.S3Input?.LocalPath] as [
          string,
          string | undefined,
        ],
    ),
    ...(input.ProcessingOutputConfig?.Outputs ?? []).map(
      (item, index) =>
        [`ProcessingOutputConfig.Outputs[${index}].S3Output.LocalPath`, item.S3Output?.LocalPath] as [
          string,
          string | undefined,
        ],
    ),
  ];
  for (const [member, path] of paths) {
    if (path === undefined) throw validation(`${member} is required.`);
    if (!UNDER_PROCESSING.test(path) || path.split('/').includes('..'))
      throw validation(`${member} ${path} must be a path under /opt/ml/processing/.`);
  }
  for (const [index, item] of (input.ProcessingInputs ?? []).entries())
    if (!item.S3Input)
      throw validation(
        `ProcessingInputs[${index}]: S3Input is required (DatasetDefinition is not supported by the local SageMaker).`,
      );
  for (const [index, item] of (input.ProcessingOutputConfig?.Outputs ?? []).entries())
    if (!item.S3Output)
      throw validation(
        `ProcessingOutputConfig.Outputs[${index}]: S3Output is required (FeatureStoreOutput is not supported by the local SageMaker).`,
      );
  const names = [
    ...(input.ProcessingInputs ?? []).map((item) => item.InputName),
    ...(input.ProcessingOutputConfig?.Outputs ?? []).map((item) => item.OutputName),
  ];
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) throw validation(`The input or output name "${twice}" is used more than once.`);
  // A program folder stands for an image whose PATH holds its programs: an entrypoint may name
  // its process program (["process"], ["/opt/program/bin/process", ...]), and nothing else.
  const entrypoint = input.AppSpecification.ContainerEntrypoint;
  if (
    entrypoint &&
    input.AppSpecification.ImageUri.startsWith('file://') &&
    basename(entrypoint[0] ?? '') !== 'process'
  )
    throw validation(
      'AppSpecification.ContainerEntrypoint needs a container image: the local SageMaker runs a program folder (file://) as processes, with its own process program (which an entrypoint may name: ["process"])',
    );
}

export class ProcessingJobs {
  private readonly store: JobStore<ProcessingJob, ProcessingStopReason>;

  constructor(private readonly options: ProcessingJobsOptions) {
    this.store = new JobStore(options.dir, (job) => job.ProcessingJobName, {
      feed: options.statusFeed,
      type: 'processing-job',
      statusOf: (job) => job.ProcessingJobStatus,
    });
  }

  private arnOf(name: string): string {
    return `arn:aws:sagemaker:${this.options.region}:${ACCOUNT}:processing-job/${name.toLowerCase()}`;
  }

  /** Jobs a previous process was running cannot be followed any more: they failed. */
  async reconcile(): Promise<void> {
    for (const job of await this.store.loadAll()) {
      if (job.ProcessingJobStatus !== 'InProgress' && job.ProcessingJobStatus !== 'Stopping') continue;
      job.ProcessingJobStatus = 'Failed';
      job.FailureReason = STOPPED_WITH_SERVER;
      job.ProcessingEndTime = epochSeconds();
      await this.store.save(job);
    }
  }

  operations(): Record<string, Operation> {
    return handlers<SageMakerOperations>(
      {
        CreateProcessingJob: (input) => this.store.oneAtATime(() => this.create(input)),
        DescribeProcessingJob: (input) => this.describe(input.ProcessingJobName),
        StopProcessingJob: (input) => this.stop(input.ProcessingJobName),
        ListProcessingJobs: (input) => this.list(input),
      },
      PROCESSING_HONOURED,
    );
  }

  async create(input: CreateProcessingJobRequest): Promise<CreateProcessingJobResponse> {
    checkCreate(input);
    checkFileImage(
      input.AppSpecification.ImageUri,
      this.options.fileImages ?? { roots: [] },
      'AppSpecification.ImageUri',
    );
    const name = input.ProcessingJobName;
    const arn = this.arnOf(name);
    if (await this.store.findByLowerCaseName(name.toLowerCase()))
      throw inUse(
        `Job name must be unique within an AWS account and region, and a job with this name already exists (${arn})`,
      );
    const { Tags: _tags, ...request } = input;
    const now = epochSeconds();
    const job: ProcessingJob = {
      ...request,
      ProcessingJobArn: arn,
      ProcessingJobStatus: 'InProgress',
      CreationTime: now,
      LastModifiedTime: now,
    };
    await mkdir(this.store.jobDir(name), { recursive: true });
    await this.store.save(job);
    if (input.Tags) await this.options.tags?.add(arn, input.Tags);
    this.store.run(job, (controls) =>
      runProcessingJob(job, {
        mlDir: join(this.store.jobDir(name), 'opt-ml'),
        scratch: join(this.store.jobDir(name), 'scratch'),
        log: this.store.logOf(name),
        save: () => this.store.save(job),
        options: this.options,
        ...controls,
      }),
    );
    return { ProcessingJobArn: arn };
  }

  async describe(name: string): Promise<ProcessingJob> {
    const job = await this.store.load(name);
    // SageMaker's answer, which the aws CLI's processing-job waiter takes as a failure.
    if (!job) throw validation(`Could not find processing job '${this.arnOf(name)}'.`);
    return job;
  }

  async stop(name: string): Promise<Record<string, never>> {
    const job = await this.describe(name);
    if (job.ProcessingJobStatus !== 'InProgress')
      throw validation(
        `The request was rejected because the processing job is in status ${job.ProcessingJobStatus}.`,
      );
    job.ProcessingJobStatus = 'Stopping';
    await this.store.save(job);
    this.store.stop(name, 'Stopped');
    return {};
  }

  async list(input: ListProcessingJobsRequest): Promise<ListProcessingJobsResponse> {
    const { page, NextToken } = listPage(
      await this.store.loadAll(),
      input,
      (job) => ({
        name: job.ProcessingJobName,
        creationTime: job.CreationTime,
        lastModifiedTime: job.LastModifiedTime ?? job.CreationTime,
        status: job.ProcessingJobStatus,
      }),
      { operation: 'ListProcessingJobs' },
    );
    return {
      ProcessingJobSummaries: page.map((job) => ({
        ProcessingJobName: job.ProcessingJobName,
        ProcessingJobArn: job.ProcessingJobArn,
        CreationTime: job.CreationTime,
        ...(job.ProcessingEndTime !== undefined ? { ProcessingEndTime: job.ProcessingEndTime } : {}),
        ...(job.LastModifiedTime !== undefined ? { LastModifiedTime: job.LastModifiedTime } : {}),
        ProcessingJobStatus: job.ProcessingJobStatus,
        ...(job.FailureReason ? { FailureReason: job.FailureReason } : {}),
        ...(job.ExitMessage ? { ExitMessage: job.ExitMessage } : {}),
      })),
      ...(NextToken ? { NextToken } : {}),
    };
  }

  /** Whether the ARN names a processing job of this store. */
  arnExists(arn: string): Promise<boolean> {
    return this.store.arnExists(arn, 'processing-job', (job) => job.ProcessingJobArn);
  }

  /** Each job's log: /aws/sagemaker/ProcessingJobs, JOB/algo-1-EPOCH. */
  logStreams(): Promise<LogStream[]> {
    return this.store.singleHostLogStreams(PROCESSING_LOG_GROUP);
  }

  /** The server is closing: running jobs fail as jobs whose server went away. */
  stopAll(): void {
    this.store.stopAll('ServerStopped');
  }

  idle(): Promise<void> {
    return this.store.idle();
  }
}
