// What a stage is: data (its name, what it needs, what its fingerprint is made of) plus one
// function. The engine alone decides when it runs and records what it returns.
import type { PipelineConfig } from './config/pipeline-config.js';
import type { FileHasher } from './plan/file-hasher.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type StageOutputs = { [key: string]: JsonValue };

/**
 * The outputs key for how the work went (bytes sent, seconds billed) rather than what it made:
 * recorded like any output, but left out of the fingerprints of the stages that need this one,
 * so that a re-run that made the same thing differently does not make them stale.
 */
export const REPORT_KEY = 'report';

/** A saved handle's key for what an interruption leaves running and how to re-attach or stop it. */
export const LEFT_RUNNING_KEY = 'leftRunning';

export interface FileInput {
  /** Relative to the project folder. A folder stands for every file under it. */
  path: string;
  /** Names skipped anywhere inside a folder, such as node_modules. */
  exclude?: readonly string[];
}

/** What a stage's fingerprint is made of, besides the outputs of the stages it needs. */
export interface StageInputs {
  /** Config values by their dotted path ("training", "aws.region"). */
  config: Record<string, unknown>;
  files: FileInput[];
}

export interface StageContext {
  config: PipelineConfig;
  /** The config with every secret replaced by its digest: for what a stage writes or shows. */
  displayConfig: PipelineConfig;
  projectDir: string;
  /** `.pipeline/` beside pipeline.yaml: where a stage may keep working files. */
  stateDir: string;
  runId: string;
  /** The outputs of each stage named in `needs`. */
  upstream: Readonly<Record<string, StageOutputs>>;
  /** A handle the previous, unfinished attempt saved (a training job's name): re-attach to it. */
  resumeHandle?: StageOutputs;
  /** The outputs of this stage's last successful run, if any. */
  previousOutputs?: StageOutputs;
  /** The engine's file hasher (its cache already holds this run's hashes of the stage's inputs). */
  files: FileHasher;
  /** Aborted on Ctrl-C: stop waiting, leave remote work as it is. */
  signal: AbortSignal;
  /** The current sub-step, shown live ("waiting for InService"). */
  step(title: string): void;
  /**
   * How far the current step is, as counts, rate and time left ("12.5 MiB of 100.0 MiB, …"):
   * shown with the step, and in a CI log at most every 10 s. A new step clears it.
   */
  progress(text: string): void;
  /** A line of the stage's own output (a build log, a training log). */
  log(line: string): void;
  /** Text with every secret value replaced: for what a stage writes to a file of its own. */
  redact(text: string): string;
  /** Persists a remote handle at once, before a long wait, so that a killed run can re-attach. */
  saveHandle(handle: StageOutputs): Promise<void>;
}

/** A config value the stage's service would refuse: its path in the config, and why. */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

/** What a stage's drift check may read: the config and what its last success made. */
export interface DriftContext {
  config: PipelineConfig;
  projectDir: string;
  stateDir: string;
  /** The outputs of the stage's last success. */
  outputs: StageOutputs;
  /** The engine's file hasher: to see whether a file the stage made has changed since. */
  files: FileHasher;
  /**
   * `run` may start what the check needs (the local SageMaker); `plan` and `status` only look,
   * and skip the check when it is not running.
   */
  mayStart: boolean;
}

export interface Stage {
  name: string;
  description: string;
  /** Stages whose outputs this one reads; they come earlier in the pipeline. */
  needs: readonly string[];
  /**
   * Stages that must have ended before this one starts although it reads nothing of theirs (the
   * built-in stages run one after another): order only, not part of the fingerprint.
   */
  after?: readonly string[];
  /**
   * Files of its outputs that user stages may read as NAME.OUT (`evaluate.metrics`): each finds
   * the file's path, relative to the project folder, in the outputs of the stage's last success.
   */
  outs?: Readonly<Record<string, (outputs: StageOutputs) => string | undefined>>;
  /** Defined in pipeline.yaml's `stages:` rather than by the tool. */
  userDefined?: boolean;
  /** Bump when the stage's behaviour changes, so that results of the old behaviour go stale. */
  version: number;
  inputs(config: PipelineConfig): StageInputs;
  /**
   * Why this config turns the stage off (`deploy.enabled: false`: no endpoint), or undefined. A stage
   * turned off is skipped whatever changed, and the plan says why.
   */
  disabled?(config: PipelineConfig): string | undefined;
  /** Anything the plan should say about how this config is handled ("nothing is pushed"). */
  note?(config: PipelineConfig): string | undefined;
  run(ctx: StageContext): Promise<StageOutputs>;
  /**
   * For a stage that makes a remote resource: a cheap look (one Describe) at whether what its
   * last success made still exists and is healthy, before the stage is skipped as up to date.
   * Says what no longer holds ("endpoint keras-example no longer exists"), or undefined.
   */
  drift?(ctx: DriftContext): Promise<string | undefined>;
  /**
   * Values of the config that the stage's service would refuse (its own API's limits), found
   * before anything runs: `pipeline validate` asks every stage, `pipeline run` the ones it runs.
   */
  checkConfig?(config: PipelineConfig): Promise<ConfigProblem[]>;
}
