// Runs a hyperparameter tuning job of the local SageMaker: proposes each training job's
// hyperparameters by the job's strategy (tuning-strategies.ts), launches them as training jobs of
// this SageMaker up to MaxParallelTrainingJobs at once (and no more than the machine's cores),
// follows each one's objective, stops a job early by the median rule when early stopping is Auto,
// and ends when every job has ended, the completion criteria are met, or the job is stopped.
import { availableParallelism } from 'node:os';
import type {
  CreateTrainingJobRequest,
  HyperParameterTrainingJobSummary,
  HyperParameterTuningJobConfig,
  ObjectiveStatusCounters,
  TrainingJobStatusCounters,
} from '../generated/sagemaker-wire.js';
import { epochSeconds } from '../protocol/request-fields.js';
import type { TrainingJob } from './training-job-record.js';
import {
  gridPoints,
  type ParameterRange,
  type Point,
  proposeBayesian,
  proposeRandom,
  type Scaling,
  type Trial,
} from './tuning-strategies.js';

export type TuningStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

/** A tuning job's record, as DescribeHyperParameterTuningJob answers it (and the trials it ran). */
export interface TuningJob {
  HyperParameterTuningJobName: string;
  HyperParameterTuningJobArn: string;
  HyperParameterTuningJobConfig: HyperParameterTuningJobConfig;
  TrainingJobDefinition: NonNullable<
    import('../generated/sagemaker-wire.js').CreateHyperParameterTuningJobRequest['TrainingJobDefinition']
  >;
  WarmStartConfig?: import('../generated/sagemaker-wire.js').HyperParameterTuningJobWarmStartConfig;
  HyperParameterTuningJobStatus: TuningStatus;
  CreationTime: number;
  LastModifiedTime?: number;
  HyperParameterTuningEndTime?: number;
  TrainingJobStatusCounters: TrainingJobStatusCounters;
  ObjectiveStatusCounters: ObjectiveStatusCounters;
  BestTrainingJob?: HyperParameterTrainingJobSummary;
  OverallBestTrainingJob?: HyperParameterTrainingJobSummary;
  FailureReason?: string;
  TuningJobCompletionDetails?: { NumberOfTrainingJobsObjectiveNotImproving?: number };
  ConsumedResources?: { RuntimeInSeconds?: number };
  /** Not SageMaker's: the seed this job's proposals use (RandomSeed, or one drawn at creation). */
  seed: number;
  /** Not SageMaker's: each training job launched, in order, as ListTrainingJobsFor… lists it. */
  trials: HyperParameterTrainingJobSummary[];
}

export type TuningStopReason = 'Stopped' | 'ServerStopped';

/** What running a tuning job needs of the local SageMaker. */
export interface TuningRun {
  save(): Promise<void>;
  /** The training jobs of this SageMaker. */
  training: {
    create(input: CreateTrainingJobRequest, tuningJobArn: string): Promise<unknown>;
    ended(name: string): Promise<TrainingJob>;
    stop(name: string): Promise<unknown>;
    watchLines(name: string, watcher: (line: string) => void): void;
  };
  /** The tuning job's tags: SageMaker adds them to every training job it launches. */
  tags?: { Key: string; Value: string }[];
  /** The trials of the warm start's parents: what a Bayesian search learns from first. */
  parentTrials: readonly HyperParameterTrainingJobSummary[];
  signal: AbortSignal;
  stoppedAs(): TuningStopReason | undefined;
}

/** The job's ranges, in one list (integer, continuous, then categorical, as the request orders them). */
export function rangesOf(config: HyperParameterTuningJobConfig): ParameterRange[] {
  const ranges = config.ParameterRanges ?? {};
  type NumberRange = { Name: string; MinValue: string; MaxValue: string; ScalingType?: Scaling };
  const numbers = (
    kind: 'integer' | 'continuous',
    list: readonly NumberRange[] | undefined,
  ): ParameterRange[] =>
    (list ?? []).map((range) => ({
      kind,
      name: range.Name,
      min: Number(range.MinValue),
      max: Number(range.MaxValue),
      scaling: range.ScalingType ?? 'Auto',
    }));
  return [
    ...numbers('integer', ranges.IntegerParameterRanges),
    ...numbers('continuous', ranges.ContinuousParameterRanges),
    ...(ranges.CategoricalParameterRanges ?? []).map(
      (range): ParameterRange => ({ kind: 'categorical', name: range.Name, values: range.Values }),
    ),
  ];
}

/** How many training jobs the tuning job runs: Grid, every combination; otherwise its limit. */
export function plannedJobs(config: HyperParameterTuningJobConfig): number {
  return config.Strategy === 'Grid'
    ? gridPoints(rangesOf(config)).length
    : (config.ResourceLimits.MaxNumberOfTrainingJobs as number);
}

/** The median stopping rule SageMaker documents for early stopping. */
export function stopsEarly(
  current: readonly number[],
  previous: readonly (readonly number[])[],
  maximize: boolean,
): boolean {
  const step = current.length;
  const value = current[step - 1];
  // Enough finished jobs for a median to mean something (SageMaker does not say how many).
  const comparable = previous.filter((series) => series.length >= step);
  if (value === undefined || comparable.length < 3) return false;
  const averages = comparable
    .map((series) => series.slice(0, step).reduce((sum, v) => sum + v, 0) / step)
    .sort((a, b) => a - b);
  const middle = averages.length / 2;
  const median =
    averages.length % 2 === 1
      ? (averages[Math.floor(middle)] as number)
      : ((averages[middle - 1] as number) + (averages[middle] as number)) / 2;
  return maximize ? value < median : value > median;
}

const better = (a: number, b: number, maximize: boolean) => (maximize ? a > b : a < b);

/** The best trial that reported its objective, of those given. */
export function bestOf(
  trials: readonly HyperParameterTrainingJobSummary[],
  maximize: boolean,
): HyperParameterTrainingJobSummary | undefined {
  let best: HyperParameterTrainingJobSummary | undefined;
  for (const trial of trials) {
    const value = trial.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    if (trial.ObjectiveStatus !== 'Succeeded' || value === undefined) continue;
    const bestValue = best?.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    if (bestValue === undefined || better(value, bestValue, maximize)) best = trial;
  }
  return best;
}

/** The counters Describe and List give, from the trials. */
export function countersOf(trials: readonly HyperParameterTrainingJobSummary[]) {
  const training: Required<TrainingJobStatusCounters> = {
    Completed: 0,
    InProgress: 0,
    RetryableError: 0,
    NonRetryableError: 0,
    Stopped: 0,
  };
  const objective: Required<ObjectiveStatusCounters> = { Succeeded: 0, Pending: 0, Failed: 0 };
  for (const trial of trials) {
    if (trial.TrainingJobStatus === 'Completed') training.Completed++;
    else if (trial.TrainingJobStatus === 'Stopped') training.Stopped++;
    else if (trial.TrainingJobStatus === 'Failed') training.NonRetryableError++;
    else training.InProgress++;
    objective[trial.ObjectiveStatus ?? 'Pending']++;
  }
  return { training, objective };
}

const hex8 = () =>
  Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');

export async function runTuningJob(job: TuningJob, run: TuningRun): Promise<void> {
  const config = job.HyperParameterTuningJobConfig;
  const objective = config.HyperParameterTuningJobObjective as {
    Type: 'Maximize' | 'Minimize';
    MetricName: string;
  };
  const maximize = objective.Type === 'Maximize';
  const definition = job.TrainingJobDefinition;
  const metric = definition.AlgorithmSpecification.MetricDefinitions?.find(
    (d) => d.Name === objective.MetricName,
  );
  const metricRegex = new RegExp(metric?.Regex ?? '$^');
  const ranges = rangesOf(config);
  const total = plannedJobs(config);
  const grid = config.Strategy === 'Grid' ? gridPoints(ranges) : [];
  // As many at once as asked, and no more than this machine's cores can train side by side.
  const parallel = Math.max(
    1,
    Math.min(config.ResourceLimits.MaxParallelTrainingJobs, availableParallelism()),
  );
  const earlyStopping = config.TrainingJobEarlyStoppingType === 'Auto';
  const criteria = config.TuningJobCompletionCriteria;
  const series = new Map<string, number[]>();
  const earlyStopped = new Set<string>();
  const started = Date.now();

  const update = async () => {
    const { training, objective: objectives } = countersOf(job.trials);
    job.TrainingJobStatusCounters = training;
    job.ObjectiveStatusCounters = objectives;
    const best = bestOf(job.trials, maximize);
    if (best) job.BestTrainingJob = best;
    if (job.WarmStartConfig) {
      const overall = bestOf([...job.trials, ...run.parentTrials], maximize);
      if (overall) job.OverallBestTrainingJob = overall;
    }
    job.ConsumedResources = { RuntimeInSeconds: Math.round((Date.now() - started) / 1000) };
    await run.save();
  };

  /** Whether the completion criteria say no more jobs are needed. */
  const complete = (): boolean => {
    const best = bestOf(job.trials, maximize)?.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    if (criteria?.TargetObjectiveMetricValue !== undefined && best !== undefined)
      if (!better(criteria.TargetObjectiveMetricValue, best, maximize)) return true;
    const patience = criteria?.BestObjectiveNotImproving?.MaxNumberOfTrainingJobsNotImproving;
    if (patience !== undefined) {
      let runningBest: number | undefined;
      let sinceImproved = 0;
      for (const trial of job.trials.filter((t) => t.ObjectiveStatus === 'Succeeded')) {
        const value = trial.FinalHyperParameterTuningJobObjectiveMetric?.Value as number;
        if (runningBest === undefined || better(value, runningBest, maximize)) {
          runningBest = value;
          sinceImproved = 0;
        } else sinceImproved++;
      }
      job.TuningJobCompletionDetails = { NumberOfTrainingJobsObjectiveNotImproving: sinceImproved };
      if (sinceImproved >= patience) return true;
    }
    return false;
  };

  /** Proposal k learns from trials up to k - parallel: the same results give the same proposals. */
  const propose = async (index: number): Promise<Point> => {
    if (config.Strategy === 'Grid') return grid[index] as Point;
    const learnedCount = Math.max(0, index - parallel + 1);
    await Promise.all(job.trials.slice(0, learnedCount).map((trial) => settled.get(trial.TrainingJobName)));
    const history: Trial[] = [
      ...job.trials.slice(0, learnedCount).map(trialOf),
      ...(config.Strategy === 'Bayesian' ? run.parentTrials.map(trialOf) : []),
    ];
    const pending = job.trials.slice(learnedCount, index).map((trial) => tunedOf(trial));
    const input = { ranges, maximize, seed: job.seed, history, pending, index };
    return config.Strategy === 'Bayesian' ? proposeBayesian(input) : proposeRandom(input);
  };

  const settled = new Map<string, Promise<void>>();
  const running = new Set<Promise<void>>();

  /** Creates the trial's training job and follows it to its end. */
  const follow = async (summary: HyperParameterTrainingJobSummary, tuned: Point) => {
    const name = summary.TrainingJobName;
    const values: number[] = [];
    series.set(name, values);
    run.training.watchLines(name, (line) => {
      const value = Number(line.match(metricRegex)?.[1]);
      if (!Number.isFinite(value)) return;
      values.push(value);
      if (!earlyStopping || earlyStopped.has(name)) return;
      const previous = job.trials
        .filter((trial) => trial.TrainingJobStatus !== 'InProgress' && trial.TrainingJobName !== name)
        .map((trial) => series.get(trial.TrainingJobName) ?? []);
      if (stopsEarly(values, previous, maximize)) {
        earlyStopped.add(name);
        void run.training.stop(name).catch(() => undefined);
      }
    });
    let created: { TrainingJobArn?: string };
    try {
      created = (await run.training.create(
        {
          TrainingJobName: name,
          AlgorithmSpecification: {
            TrainingImage: definition.AlgorithmSpecification.TrainingImage as string,
            TrainingInputMode: definition.AlgorithmSpecification.TrainingInputMode,
            ...(definition.AlgorithmSpecification.MetricDefinitions
              ? { MetricDefinitions: definition.AlgorithmSpecification.MetricDefinitions }
              : {}),
          },
          // As SageMaker passes them: the static ones, the tuned ones, and the objective's name.
          HyperParameters: {
            ...(definition.StaticHyperParameters ?? {}),
            ...tuned,
            _tuning_objective_metric: objective.MetricName,
          },
          RoleArn: definition.RoleArn,
          ...(definition.InputDataConfig ? { InputDataConfig: definition.InputDataConfig } : {}),
          OutputDataConfig: definition.OutputDataConfig,
          ResourceConfig: definition.ResourceConfig as NonNullable<
            CreateTrainingJobRequest['ResourceConfig']
          >,
          StoppingCondition: definition.StoppingCondition,
          ...(definition.EnableManagedSpotTraining !== undefined
            ? { EnableManagedSpotTraining: definition.EnableManagedSpotTraining }
            : {}),
          ...(definition.CheckpointConfig ? { CheckpointConfig: definition.CheckpointConfig } : {}),
          ...(definition.Environment ? { Environment: definition.Environment } : {}),
          ...(run.tags && run.tags.length > 0 ? { Tags: run.tags } : {}),
        },
        job.HyperParameterTuningJobArn,
      )) as { TrainingJobArn?: string };
    } catch (error) {
      summary.TrainingJobStatus = 'Failed';
      summary.ObjectiveStatus = 'Failed';
      summary.FailureReason = (error as Error).message.slice(0, 1024);
      summary.TrainingEndTime = epochSeconds();
      await update();
      return;
    }
    summary.TrainingJobArn = created.TrainingJobArn ?? '';
    await update();
    let ended: TrainingJob;
    try {
      ended = await run.training.ended(name);
    } catch (error) {
      // Its record could not be read at its end: the trial failed, and the search goes on.
      summary.TrainingJobStatus = 'Failed';
      summary.ObjectiveStatus = 'Failed';
      summary.FailureReason = `ClientError: ${(error as Error).message}`.slice(0, 1024);
      summary.TrainingEndTime = epochSeconds();
      await update();
      return;
    }
    summary.TrainingJobStatus = ended.TrainingJobStatus;
    if (ended.TrainingStartTime !== undefined) summary.TrainingStartTime = ended.TrainingStartTime;
    if (ended.TrainingEndTime !== undefined) summary.TrainingEndTime = ended.TrainingEndTime;
    if (ended.FailureReason) summary.FailureReason = ended.FailureReason;
    const final =
      ended.FinalMetricDataList?.find((m) => m.MetricName === objective.MetricName)?.Value ?? values.at(-1);
    // A job stopped early keeps the objective it reached; one stopped otherwise or failed has none.
    const counts =
      ended.TrainingJobStatus === 'Completed' ||
      (ended.TrainingJobStatus === 'Stopped' && earlyStopped.has(name));
    if (counts && final !== undefined) {
      summary.FinalHyperParameterTuningJobObjectiveMetric = {
        Type: objective.Type,
        MetricName: objective.MetricName,
        Value: final,
      };
      summary.ObjectiveStatus = 'Succeeded';
    } else summary.ObjectiveStatus = 'Failed';
    await update();
  };

  // A stop wakes the loop wherever it waits: for a free slot, or for the results a proposal needs.
  const stopped = new Promise<void>((resolve) => {
    if (run.signal.aborted) resolve();
    run.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  for (let index = 0; index < total; index++) {
    while (running.size >= parallel && !run.signal.aborted) await Promise.race([...running, stopped]);
    if (run.signal.aborted || complete()) break;
    const tuned = await Promise.race([propose(index), stopped]);
    if (run.signal.aborted || !tuned) break;
    const summary: HyperParameterTrainingJobSummary = {
      TrainingJobName: `${job.HyperParameterTuningJobName}-${String(index + 1).padStart(3, '0')}-${hex8()}`,
      TrainingJobArn: '',
      TuningJobName: job.HyperParameterTuningJobName,
      CreationTime: epochSeconds(),
      TrainingJobStatus: 'InProgress',
      TunedHyperParameters: tuned,
      ObjectiveStatus: 'Pending',
    };
    job.trials.push(summary);
    const followed: Promise<void> = follow(summary, tuned).finally(() => running.delete(followed));
    settled.set(summary.TrainingJobName, followed);
    running.add(followed);
  }
  if (run.signal.aborted)
    for (const trial of job.trials)
      if (trial.TrainingJobStatus === 'InProgress')
        await run.training.stop(trial.TrainingJobName).catch(() => undefined);
  await Promise.all(running);

  const stoppedAs = run.stoppedAs();
  job.HyperParameterTuningJobStatus =
    stoppedAs === 'Stopped'
      ? 'Stopped'
      : stoppedAs === 'ServerStopped'
        ? 'Failed'
        : bestOf(job.trials, maximize)
          ? 'Completed'
          : 'Failed';
  if (stoppedAs === 'ServerStopped')
    job.FailureReason = 'The local SageMaker stopped while the tuning job ran.';
  else if (job.HyperParameterTuningJobStatus === 'Failed')
    job.FailureReason = `No training job reported the objective metric ${objective.MetricName}: ${job.trials.at(-1)?.FailureReason ?? 'see the training jobs'}`;
  job.HyperParameterTuningEndTime = epochSeconds();
  await update();
}

function tunedOf(trial: HyperParameterTrainingJobSummary): Point {
  return { ...trial.TunedHyperParameters };
}

function trialOf(trial: HyperParameterTrainingJobSummary): Trial {
  const value = trial.FinalHyperParameterTuningJobObjectiveMetric?.Value;
  return {
    point: tunedOf(trial),
    ...(trial.ObjectiveStatus === 'Succeeded' && value !== undefined ? { objective: value } : {}),
  };
}
