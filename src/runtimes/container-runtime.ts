// How local work runs the model's container: `docker` runs the built image, `process` runs the
// same programs as child processes with OPT_ML pointing at a folder (no docker engine needed).
// The build and local-test stages, and the local SageMaker, use only this interface.

/** What the build stage produced, as recorded in its outputs. */
export type BuiltImage =
  | { runtime: 'docker'; image: string; imageId: string }
  | { runtime: 'process'; image: string; programDir: string; contentHash: string };

/** The programs of an image SageMaker runs: a training job's, an endpoint's, a processing job's. */
export type ImageProgram = 'train' | 'serve' | 'process';

export interface TrainRequest {
  image: BuiltImage;
  /**
   * What runs: `train` (a training job; the default), or `process` (a processing job: the image's
   * own entrypoint, as `docker run IMAGE` runs it; a program folder's `process` program).
   */
  program?: 'train' | 'process';
  /** The folder mounted as /opt/ml. */
  mlDir: string;
  env?: Record<string, string>;
  log(line: string): void;
  signal?: AbortSignal;
  /** SIGTERM first, then SIGKILL after this many seconds (SageMaker: 120 for training). */
  stopGraceSeconds?: number;
  /** Who answers for the container (a local SageMaker's data folder): see `removeOwnedContainers`. */
  owner?: string;
  /**
   * What runs instead of `train`, as SageMaker runs AlgorithmSpecification's ContainerEntrypoint
   * and ContainerArguments: the entrypoint (replacing the image's) followed by the arguments, or
   * the image's entrypoint with the arguments.
   */
  command?: { entrypoint?: readonly string[]; arguments?: readonly string[] };
  /**
   * One host of a job that runs on several: the container joins the job's network under its host
   * name (algo-1, algo-2, …), which the others resolve. Without it a container has no network.
   */
  cluster?: { network: string; host: string };
}

/** A network of a job's own, on which its hosts reach each other by name and nothing else. */
export interface JobNetwork {
  name: string;
  remove(): Promise<void>;
}

export interface ServeRequest {
  image: BuiltImage;
  /** The folder mounted as /opt/ml/model. */
  modelDir: string;
  port: number;
  env?: Record<string, string>;
  log(line: string): void;
  /** Outlives this process (an endpoint): output goes to this file instead of `log`. */
  detachedLogFile?: string;
  /** Who answers for the server (a local SageMaker's data folder): see `removeOwnedContainers`. */
  owner?: string;
  /**
   * A serverless variant's MemorySizeInMB: the container's memory limit (docker). The process
   * runtime has no per-process limit to set, and says so in the README.
   */
  memoryMb?: number;
}

/** What identifies a running server across processes: enough to find it again, or stop it. */
export type ServerHandle =
  | { kind: 'process'; pid: number; port: number }
  | { kind: 'docker'; container: string; port: number };

export interface RunningServer {
  handle: ServerHandle;
  url: string;
  /** Resolves with the exit code when the server ends (-1 when it is not ours to know). */
  exited: Promise<number>;
  /** SIGTERM, then SIGKILL after the grace period (SageMaker: 30 s for hosting). */
  stop(graceSeconds?: number): Promise<void>;
  /**
   * Stops following the server, which keeps running (an endpoint outlives the local SageMaker):
   * whatever this process holds to learn of its end is let go, so that the process can exit.
   */
  release(): void;
  /**
   * Where the server listens beyond loopback (`0.0.0.0:8080`), asked once it answers /ping: a
   * server that does is not reported healthy. Absent where the runtime confines it already.
   */
  listenersBeyondLoopback?(): Promise<string[]>;
}

export interface ContainerRuntime {
  kind: BuiltImage['runtime'];
  /**
   * Makes the image ready to run `program`, as SageMaker pulls it before a job or an endpoint
   * starts; rejects with the reason when it cannot (an image no engine has or can pull, a
   * program folder without the program).
   */
  prepareImage(image: BuiltImage, program: ImageProgram): Promise<void>;
  train(request: TrainRequest): Promise<{ exitCode: number }>;
  /**
   * A network for a job's hosts (TrainRequest.cluster). Absent where the runtime cannot give each
   * host a name of its own (the process runtime: every program is this machine).
   */
  jobNetwork?(owner?: string): Promise<JobNetwork>;
  serve(request: ServeRequest): Promise<RunningServer>;
  /** A server started earlier, maybe by another process; undefined when it is gone. */
  /**
   * The server a handle names, if it runs and is `owner`'s (the data folder of the local SageMaker
   * that started it, as it is now): not another project's that a copied record names, nor a
   * program that reused a pid. A server whose owner folder is gone moved with its project: it is
   * the owner's still.
   */
  reattach(handle: ServerHandle, owner?: string): Promise<RunningServer | undefined>;
  /**
   * What a detached server wrote to stdout and stderr, a line each with its time: a container's
   * from docker's own log, a process's from its log file (whose lines carry the time it was last
   * written). Empty when there is none.
   */
  serverOutput(handle: ServerHandle, logFile: string): Promise<OutputLine[]>;
}

export interface OutputLine {
  /** Milliseconds since the epoch. */
  timestamp: number;
  message: string;
}
