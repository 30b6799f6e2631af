// Hyperparameter tuning jobs of the local SageMaker, the API and the store:
// CreateHyperParameterTuningJob, DescribeHyperParameterTuningJob, ListHyperParameterTuningJobs,
// StopHyperParameterTuningJob and ListTrainingJobsForHyperParameterTuningJob. tuning-job-runner.ts
// really runs each one, as training jobs of this SageMaker. What it does not run (Hyperband,
// several training job definitions, Autotune, a tuning runtime limit, convergence detection,
// instance configs of their own, VPCs, retries) is refused by the honoured-members guard or here.
import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { STOPPED_WITH_SERVER } from '../daemon.js';
import type {
  CreateHyperParameterTuningJobRequest,
  CreateHyperParameterTuningJobResponse,
  DescribeHyperParameterTuningJobResponse,
  HyperParameterTrainingJobSummary,
  ListHyperParameterTuningJobsRequest,
  ListHyperParameterTuningJobsResponse,
  ListTrainingJobsForHyperParameterTuningJobRequest,
  ListTrainingJobsForHyperParameterTuningJobResponse,
  Operations as SageMakerOperations,
} from '../generated/sagemaker-wire.js';
import { ACCOUNT } from '../protocol/account.js';
import { inUse, validation } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { LIST_JOBS_MEMBERS, listPage } from '../protocol/list-page.js';
import { epochSeconds } from '../protocol/request-fields.js';
import type { StatusFeed } from '../protocol/status-feed.js';
import { JobStore } from './job-store.js';
import type { TagStore } from './tags.js';
import type { TrainingJobs } from './training-jobs.js';
import {
  plannedJobs,
  rangesOf,
  runTuningJob,
  type TuningJob,
  type TuningStopReason,
} from './tuning-job-runner.js';
import { gridPoints } from './tuning-strategies.js';

export interface TuningJobsOptions {
  /** Where tuning jobs live: one folder per job with its job.json. */
  dir: string;
  region: string;
  training: TrainingJobs;
  tags?: TagStore;
  /** Hears of each job's status changes (a client waits on them instead of a fixed delay). */
  statusFeed?: StatusFeed;
}

const DEFINITION = 'TrainingJobDefinition';
const TUNING_HONOURED: HonouredMembers<SageMakerOperations> = {
  CreateHyperParameterTuningJob: [
    'HyperParameterTuningJobName',
    'Tags',
    'HyperParameterTuningJobConfig.Strategy=Bayesian|Random|Grid',
    'HyperParameterTuningJobConfig.HyperParameterTuningJobObjective',
    'HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs',
    'HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs',
    'HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges',
    'HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges',
    'HyperParameterTuningJobConfig.ParameterRanges.CategoricalParameterRanges',
    'HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType',
    'HyperParameterTuningJobConfig.TuningJobCompletionCriteria.TargetObjectiveMetricValue',
    'HyperParameterTuningJobConfig.TuningJobCompletionCriteria.BestObjectiveNotImproving',
    'HyperParameterTuningJobConfig.TuningJobCompletionCriteria.ConvergenceDetected.CompleteOnConvergence=Disabled',
    'HyperParameterTuningJobConfig.RandomSeed',
    `${DEFINITION}.StaticHyperParameters`,
    `${DEFINITION}.AlgorithmSpecification.TrainingImage`,
    `${DEFINITION}.AlgorithmSpecification.TrainingInputMode=File`,
    `${DEFINITION}.AlgorithmSpecification.MetricDefinitions`,
    `${DEFINITION}.RoleArn`,
    `${DEFINITION}.InputDataConfig`,
    `${DEFINITION}.OutputDataConfig`,
    `${DEFINITION}.ResourceConfig`,
    `${DEFINITION}.StoppingCondition`,
    `${DEFINITION}.EnableManagedSpotTraining`,
    `${DEFINITION}.CheckpointConfig`,
    `${DEFINITION}.Environment`,
    `${DEFINITION}.EnableNetworkIsolation=false`,
    `${DEFINITION}.EnableInterContainerTrafficEncryption=false`,
    'WarmStartConfig',
  ],
  DescribeHyperParameterTuningJob: ['HyperParameterTuningJobName'],
  StopHyperParameterTuningJob: ['HyperParameterTuningJobName'],
  ListHyperParameterTuningJobs: LIST_JOBS_MEMBERS,
  ListTrainingJobsForHyperParameterTuningJob: [
    'HyperParameterTuningJobName',
    'NextToken',
    'MaxResults',
    'StatusEquals',
    'SortBy',
    'SortOrder',
  ],
};

const notSupported = (what: string) => validation(`${what} is not supported by the local SageMaker.`);

export class TuningJobs {
  private readonly store: JobStore<TuningJob, TuningStopReason>;

  constructor(private readonly options: TuningJobsOptions) {
    this.store = new JobStore(options.dir, (job) => job.HyperParameterTuningJobName, {
      feed: options.statusFeed,
      type: 'hyper-parameter-tuning-job',
      // A trial's end changes the counters: the client shows each trial as it ends.
      statusOf: (job) =>
        `${job.HyperParameterTuningJobStatus}/${JSON.stringify(job.TrainingJobStatusCounters)}`,
    });
  }

  private arnOf(name: string): string {
    return `arn:aws:sagemaker:${this.options.region}:${ACCOUNT}:hyper-parameter-tuning-job/${name.toLowerCase()}`;
  }

  /** Tuning jobs a previous process was running cannot be followed any more: they failed. */
  async reconcile(): Promise<void> {
    for (const job of await this.store.loadAll()) {
      if (
        job.HyperParameterTuningJobStatus !== 'InProgress' &&
        job.HyperParameterTuningJobStatus !== 'Stopping'
      )
        continue;
      job.HyperParameterTuningJobStatus = 'Failed';
      job.FailureReason = STOPPED_WITH_SERVER;
      job.HyperParameterTuningEndTime = epochSeconds();
      await this.store.save(job);
    }
  }

  operations(): Record<string, Operation> {
    return handlers<SageMakerOperations>(
      {
        CreateHyperParameterTuningJob: (input) => this.store.oneAtATime(() => this.create(input)),
        DescribeHyperParameterTuningJob: (input) => this.describe(input.HyperParameterTuningJobName),
        StopHyperParameterTuningJob: (input) => this.stop(input.HyperParameterTuningJobName),
        ListHyperParameterTuningJobs: (input) => this.list(input),
        ListTrainingJobsForHyperParameterTuningJob: (input) => this.listTrainingJobs(input),
      },
      TUNING_HONOURED,
    );
  }

  /** What SageMaker refuses of a tuning job's settings, and what the local one does not run. */
  private check(input: CreateHyperParameterTuningJobRequest): void {
    const config = input.HyperParameterTuningJobConfig;
    const definition = input.TrainingJobDefinition;
    if (!definition)
      throw validation(
        'TrainingJobDefinitions (several definitions) is not supported by the local SageMaker: give one TrainingJobDefinition.',
      );
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/.test(input.HyperParameterTuningJobName))
      throw validation(
        `1 validation error detected: Value '${input.HyperParameterTuningJobName}' at 'hyperParameterTuningJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}`,
      );
    if (!definition.AlgorithmSpecification.TrainingImage)
      throw notSupported('AlgorithmSpecification.AlgorithmName (an algorithm resource)');
    if (!definition.ResourceConfig) throw validation('TrainingJobDefinition.ResourceConfig is required.');
    const objective = config.HyperParameterTuningJobObjective;
    if (!objective)
      throw validation('HyperParameterTuningJobObjective is required for a tuning job of this strategy.');
    const definitions = definition.AlgorithmSpecification.MetricDefinitions ?? [];
    if (!definitions.some((metric) => metric.Name === objective.MetricName))
      throw validation(
        `The objective metric ${objective.MetricName} is not defined in AlgorithmSpecification.MetricDefinitions (${definitions.map((m) => m.Name).join(', ') || 'none'}).`,
      );
    const ranges = rangesOf(config);
    if (ranges.length === 0)
      throw validation('ParameterRanges must name at least one hyperparameter to tune.');
    const names = ranges.map((range) => range.name);
    const repeated = names.find((name, i) => names.indexOf(name) !== i);
    if (repeated) throw validation(`The hyperparameter ${repeated} is in more than one range.`);
    const fixed = Object.keys(definition.StaticHyperParameters ?? {}).find((name) => names.includes(name));
    if (fixed) throw validation(`The hyperparameter ${fixed} is both static and tuned.`);
    for (const range of ranges) {
      if (range.kind === 'categorical') {
        if (range.values.length === 0) throw validation(`The categorical range ${range.name} has no values.`);
        continue;
      }
      if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max)
        throw validation(`The range of ${range.name} must have MinValue ≤ MaxValue, both numbers.`);
      if (range.kind === 'integer' && (!Number.isInteger(range.min) || !Number.isInteger(range.max)))
        throw validation(`The integer range of ${range.name} must have whole MinValue and MaxValue.`);
      if (range.scaling === 'Logarithmic' && range.min <= 0)
        throw validation(`Logarithmic scaling of ${range.name} needs MinValue greater than 0.`);
      if (
        range.scaling === 'ReverseLogarithmic' &&
        (range.kind === 'integer' || range.min < 0 || range.max >= 1)
      )
        throw validation(
          `ReverseLogarithmic scaling of ${range.name} needs a continuous range within 0 ≤ MinValue ≤ MaxValue < 1.`,
        );
    }
    const limits = config.ResourceLimits;
    if (config.Strategy === 'Grid') {
      const nonCategorical = ranges.find((range) => range.kind !== 'categorical');
      if (nonCategorical)
        throw validation(
          `The Grid strategy takes categorical parameter ranges only (${nonCategorical.name} is not).`,
        );
      const combinations = gridPoints(ranges).length;
      if (limits.MaxNumberOfTrainingJobs !== undefined && limits.MaxNumberOfTrainingJobs !== combinations)
        throw validation(
          `With the Grid strategy MaxNumberOfTrainingJobs must be the number of combinations of the categorical values (${combinations}), or left out.`,
        );
      if (input.WarmStartConfig) throw validation('Warm start is not supported with the Grid strategy.');
    } else if (limits.MaxNumberOfTrainingJobs === undefined)
      throw validation(`MaxNumberOfTrainingJobs is required with the ${config.Strategy} strategy.`);
    if (limits.MaxParallelTrainingJobs < 1) throw validation('MaxParallelTrainingJobs must be at least 1.');
    if (input.WarmStartConfig && input.WarmStartConfig.ParentHyperParameterTuningJobs.length === 0)
      throw validation('WarmStartConfig.ParentHyperParameterTuningJobs must name at least one tuning job.');
  }

  async create(input: CreateHyperParameterTuningJobRequest): Promise<CreateHyperParameterTuningJobResponse> {
    this.check(input);
    const name = input.HyperParameterTuningJobName;
    const arn = this.arnOf(name);
    if (await this.store.findByLowerCaseName(name.toLowerCase()))
      throw inUse(
        `Hyperparameter tuning job names must be unique within an AWS account and region (${arn} exists).`,
      );
    const parents: HyperParameterTrainingJobSummary[] = [];
    for (const parent of input.WarmStartConfig?.ParentHyperParameterTuningJobs ?? []) {
      const found = await this.store.load(parent.HyperParameterTuningJobName ?? '');
      if (!found)
        throw validation(`The parent tuning job ${parent.HyperParameterTuningJobName} does not exist.`);
      if (
        found.HyperParameterTuningJobStatus === 'InProgress' ||
        found.HyperParameterTuningJobStatus === 'Stopping'
      )
        throw validation(`The parent tuning job ${found.HyperParameterTuningJobName} has not ended.`);
      parents.push(...found.trials);
    }
    const config = input.HyperParameterTuningJobConfig;
    const now = epochSeconds();
    const job: TuningJob = {
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobArn: arn,
      HyperParameterTuningJobConfig: {
        ...config,
        // Written as SageMaker answers: the number of jobs a grid runs, and the early stopping default.
        ResourceLimits: { ...config.ResourceLimits, MaxNumberOfTrainingJobs: plannedJobs(config) },
        TrainingJobEarlyStoppingType: config.TrainingJobEarlyStoppingType ?? 'Off',
      },
      TrainingJobDefinition: input.TrainingJobDefinition as TuningJob['TrainingJobDefinition'],
      ...(input.WarmStartConfig ? { WarmStartConfig: input.WarmStartConfig } : {}),
      HyperParameterTuningJobStatus: 'InProgress',
      CreationTime: now,
      LastModifiedTime: now,
      TrainingJobStatusCounters: {
        Completed: 0,
        InProgress: 0,
        RetryableError: 0,
        NonRetryableError: 0,
        Stopped: 0,
      },
      ObjectiveStatusCounters: { Succeeded: 0, Pending: 0, Failed: 0 },
      seed: config.RandomSeed ?? randomInt(0, 2 ** 31),
      trials: [],
    };
    await mkdir(this.store.jobDir(name), { recursive: true });
    await this.store.save(job);
    if (input.Tags) await this.options.tags?.add(arn, input.Tags);
    const training = this.options.training;
    this.store.run(job, (controls) =>
      runTuningJob(job, {
        save: () => this.store.save(job),
        training: {
          create: (request, tuningJobArn) => training.create(request, tuningJobArn),
          ended: (trainingJob) => training.ended(trainingJob),
          stop: (trainingJob) => training.stop(trainingJob),
          watchLines: (trainingJob, watcher) => training.watchLines(trainingJob, watcher),
        },
        parentTrials: parents,
        ...(input.Tags ? { tags: input.Tags.map((tag) => ({ Key: tag.Key, Value: tag.Value })) } : {}),
        signal: controls.signal,
        stoppedAs: controls.stoppedAs,
      }),
    );
    return { HyperParameterTuningJobArn: arn };
  }

  private async load(name: string): Promise<TuningJob> {
    const job = await this.store.load(name);
    if (!job) throw validation(`Amazon SageMaker can't find a tuning job with name ${name}`);
    return job;
  }

  async describe(name: string): Promise<DescribeHyperParameterTuningJobResponse> {
    const { seed: _seed, trials: _trials, ...described } = await this.load(name);
    return described as DescribeHyperParameterTuningJobResponse;
  }

  async stop(name: string): Promise<Record<string, never>> {
    const job = await this.load(name);
    if (job.HyperParameterTuningJobStatus !== 'InProgress')
      throw validation(
        `The tuning job ${name} is in status ${job.HyperParameterTuningJobStatus}: only one in progress can be stopped.`,
      );
    job.HyperParameterTuningJobStatus = 'Stopping';
    await this.store.save(job);
    this.store.stop(name, 'Stopped');
    return {};
  }

  async list(input: ListHyperParameterTuningJobsRequest): Promise<ListHyperParameterTuningJobsResponse> {
    const { page, NextToken } = listPage(
      await this.store.loadAll(),
      // SageMaker's defaults for this call: by name, ascending.
      { SortBy: 'Name', SortOrder: 'Ascending', ...input },
      (job) => ({
        name: job.HyperParameterTuningJobName,
        creationTime: job.CreationTime,
        lastModifiedTime: job.LastModifiedTime ?? job.CreationTime,
        status: job.HyperParameterTuningJobStatus,
      }),
      { operation: 'ListHyperParameterTuningJobs', maxResults: 100 },
    );
    return {
      HyperParameterTuningJobSummaries: page.map((job) => ({
        HyperParameterTuningJobName: job.HyperParameterTuningJobName,
        HyperParameterTuningJobArn: job.HyperParameterTuningJobArn,
        HyperParameterTuningJobStatus: job.HyperParameterTuningJobStatus,
        Strategy: job.HyperParameterTuningJobConfig.Strategy,
        CreationTime: job.CreationTime,
        ...(job.HyperParameterTuningEndTime !== undefined
          ? { HyperParameterTuningEndTime: job.HyperParameterTuningEndTime }
          : {}),
        ...(job.LastModifiedTime !== undefined ? { LastModifiedTime: job.LastModifiedTime } : {}),
        TrainingJobStatusCounters: job.TrainingJobStatusCounters,
        ObjectiveStatusCounters: job.ObjectiveStatusCounters,
        ResourceLimits: job.HyperParameterTuningJobConfig.ResourceLimits,
      })),
      ...(NextToken ? { NextToken } : {}),
    };
  }

  async listTrainingJobs(
    input: ListTrainingJobsForHyperParameterTuningJobRequest,
  ): Promise<ListTrainingJobsForHyperParameterTuningJobResponse> {
    const job = await this.load(input.HyperParameterTuningJobName);
    // Sorted by the objective, the jobs without one are not listed (as SageMaker documents).
    const trials =
      input.SortBy === 'FinalObjectiveMetricValue'
        ? job.trials.filter((trial) => trial.FinalHyperParameterTuningJobObjectiveMetric !== undefined)
        : job.trials;
    const { page, NextToken } = listPage(
      trials,
      { SortBy: 'Name', SortOrder: 'Ascending', ...input },
      (trial) => ({
        name: trial.TrainingJobName,
        creationTime: trial.CreationTime,
        status: trial.TrainingJobStatus,
        ...(trial.FinalHyperParameterTuningJobObjectiveMetric
          ? { objective: trial.FinalHyperParameterTuningJobObjectiveMetric.Value }
          : {}),
      }),
      { operation: 'ListTrainingJobsForHyperParameterTuningJob' },
    );
    return { TrainingJobSummaries: page, ...(NextToken ? { NextToken } : {}) };
  }

  /** Whether the ARN names a tuning job of this store. */
  arnExists(arn: string): Promise<boolean> {
    return this.store.arnExists(arn, 'hyper-parameter-tuning-job', (job) => job.HyperParameterTuningJobArn);
  }

  /** The server is closing: running tuning jobs end as jobs whose server went away. */
  stopAll(): void {
    this.store.stopAll('ServerStopped');
  }

  idle(): Promise<void> {
    return this.store.idle();
  }
}
