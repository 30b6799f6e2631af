// Runs a training job as SageMaker does: the image is had (or the job fails while Starting), the
// channels come down from S3 into /opt/ml, the image's `train` runs (docker, or a file:// image's
// programs as processes) with its log read for the metric definitions, and the model and output
// go back up as model.tar.gz and output.tar.gz; the job ends Completed, Failed (the failure file
// as FailureReason), Stopped or MaxRuntimeExceeded.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BuiltImage, ContainerRuntime, JobNetwork } from '../../runtimes/container-runtime.js';
import { dockerRuntime } from '../../runtimes/docker/docker-runtime.js';
import { optMl, trainingHosts } from '../../runtimes/opt-ml.js';
import { processRuntime } from '../../runtimes/process-runtime.js';
import { STOPPED_WITH_SERVER } from '../daemon.js';
import { epochSeconds } from '../protocol/request-fields.js';
import { type StoredObjects, uploadFolder, uploadFolderAsTarGz } from '../s3/s3-transfer.js';
import { startCheckpointSync } from './checkpoint-sync.js';
import type { JobLog } from './job-log.js';
import { hostsOf, mergedFolder, prepareHost, type TrainingHost } from './training-hosts.js';
import { outputPrefix, type StopReason, type TrainingJob, transition } from './training-job-record.js';

/** A job that cannot start, with its FailureReason as SageMaker words it. */
class JobSetupError extends Error {}

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

/** What running a job needs of the store that keeps it. */
export interface JobRun {
  /** The job's /opt/ml (of algo-1; the other hosts' are beside it). */
  mlDir: string;
  /** Where the archives are made before they go up. */
  scratch: string;
  /** A host's log stream (JOB/HOST-EPOCH); the job's own lines go to algo-1's. */
  logOf(host: string): JobLog;
  /** Saves the job's record as it is now. */
  save(): Promise<void>;
  options: { s3: S3Client; objects: StoredObjects; stopGraceSeconds?: number; owner?: string };
  signal: AbortSignal;
  /** Why the job was ended early, if it was. */
  stoppedAs(): StopReason | undefined;
  stop(reason: 'MaxRuntimeExceeded'): void;
  /** Each line the job's containers print, as it comes (a tuning job watches its objective). */
  onLine?(line: string): void;
}

/** How the hosts' containers ended: the first to fail, if one did. */
interface HostsOutcome {
  failed?: { host: TrainingHost; exitCode: number };
}

export async function runTrainingJob(job: TrainingJob, run: JobRun): Promise<void> {
  const { mlDir, options, signal, stoppedAs, stop } = run;
  const save = () => run.save();
  const hostNames = trainingHosts(job.ResourceConfig.InstanceCount);
  const hosts = hostsOf(hostNames, mlDir);
  const jobLog = run.logOf(hostNames[0] as string);
  const metrics = new Map<string, number>();
  const definitions = (job.AlgorithmSpecification.MetricDefinitions ?? []).map((d) => ({
    name: d.Name,
    regex: new RegExp(d.Regex),
  }));
  // Each host's lines go to its own stream; the metrics are read from all of them.
  const lineReader = (log: JobLog) => (line: string) => {
    log.append(line);
    run.onLine?.(line);
    for (const definition of definitions) {
      const value = Number(line.match(definition.regex)?.[1]);
      if (Number.isFinite(value)) metrics.set(definition.name, value);
    }
  };
  let trainingStarted: number | undefined;
  const { runtime, image } = imageFor(job.AlgorithmSpecification.TrainingImage);
  let network: JobNetwork | undefined;
  try {
    // As on SageMaker, an image that cannot be had fails the job while it is Starting.
    try {
      await runtime.prepareImage(image, 'train');
    } catch (error) {
      throw new JobSetupError(`ClientError: ${(error as Error).message}`);
    }
    transition(job, 'Downloading', 'Downloading input data');
    await save();
    for (const host of hosts) await prepareHost(job, host, hostNames, options.objects, run.scratch);
    const checkpoints = job.CheckpointConfig
      ? await Promise.all(
          hosts.map((host) =>
            startCheckpointSync(
              options.s3,
              options.objects,
              (job.CheckpointConfig as { S3Uri: string }).S3Uri,
              join(host.mlDir, 'checkpoints'),
            ),
          ),
        )
      : [];
    if (hosts.length > 1) {
      // CreateTrainingJob refuses several instances where the runtime cannot network them.
      if (!runtime.jobNetwork) throw new Error(`the ${runtime.kind} runtime runs one host per job`);
      network = await runtime.jobNetwork(options.owner);
    }

    transition(job, 'Training', 'Training image download completed. Training in progress.');
    trainingStarted = Date.now();
    job.TrainingStartTime = epochSeconds();
    await save();
    const timer = setTimeout(
      () => stop('MaxRuntimeExceeded'),
      job.StoppingCondition.MaxRuntimeInSeconds * 1000,
    );
    const outcome = await trainOnHosts(job, hosts, {
      runtime,
      image,
      network,
      signal,
      options,
      lineOf: (host) => lineReader(run.logOf(host.name)),
    }).finally(async () => {
      clearTimeout(timer);
      // The last checkpoints, whether the job completed, failed or was stopped.
      await Promise.all(checkpoints.map((sync) => sync.finish()));
    });
    const trainingSeconds = Math.max(1, Math.round((Date.now() - trainingStarted) / 1000));

    transition(job, 'Uploading', 'Uploading generated training model');
    await save();
    await uploadResults(job, hosts, run);

    job.TrainingTimeInSeconds = trainingSeconds;
    // Wall-clock time, as SageMaker reports it: the bill is this times InstanceCount.
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
      transition(job, 'Failed', job.FailureReason);
    } else if (stopReason) {
      job.TrainingJobStatus = 'Stopped';
      transition(
        job,
        stopReason,
        stopReason === 'Stopped' ? 'Training job stopped' : 'The job exceeded MaxRuntimeInSeconds',
      );
    } else if (!outcome.failed) {
      job.TrainingJobStatus = 'Completed';
      transition(job, 'Completed', 'Training job completed');
    } else {
      const { host, exitCode } = outcome.failed;
      const failure = (await readFile(optMl.failure(host.mlDir), 'utf8').catch(() => '')).trim();
      const where = hosts.length > 1 ? ` (on ${host.name})` : '';
      job.TrainingJobStatus = 'Failed';
      job.FailureReason = `AlgorithmError: ${failure ? failure.slice(0, 1000) : `the training program exited with code ${exitCode}`}${where}`;
      transition(job, 'Failed', job.FailureReason);
    }
  } catch (error) {
    job.TrainingJobStatus = 'Failed';
    job.FailureReason = (
      error instanceof JobSetupError ? error.message : `ClientError: ${(error as Error).message}`
    ).slice(0, 1024);
    transition(job, 'Failed', job.FailureReason);
    jobLog.append(job.FailureReason);
  } finally {
    await network?.remove();
    const last = job.SecondaryStatusTransitions.at(-1);
    if (last) last.EndTime = epochSeconds();
    job.TrainingEndTime = epochSeconds();
    await save();
  }
}

interface HostsRun {
  runtime: ContainerRuntime;
  image: BuiltImage;
  network: JobNetwork | undefined;
  signal: AbortSignal;
  options: JobRun['options'];
  lineOf(host: TrainingHost): (line: string) => void;
}

/**
 * Every host's container at once, as SageMaker starts a job's instances. The job ends when all have
 * ended; the first that fails fails the job, and the others are stopped (they would wait for it).
 */
async function trainOnHosts(
  job: TrainingJob,
  hosts: readonly TrainingHost[],
  { runtime, image, network, signal, options, lineOf }: HostsRun,
): Promise<HostsOutcome> {
  const peers = new AbortController();
  const stopPeers = () => peers.abort();
  signal.addEventListener('abort', stopPeers, { once: true });
  // Stopped while its folders were being laid out: an abort before the listener fires nothing, and
  // the hosts would train to their end (a tuning job's Stop just after a trial's creation did).
  if (signal.aborted) stopPeers();
  const outcome: HostsOutcome = {};
  const { ContainerEntrypoint: entrypoint, ContainerArguments: args } = job.AlgorithmSpecification;
  try {
    await Promise.all(
      hosts.map(async (host) => {
        const { exitCode } = await runtime.train({
          image,
          mlDir: host.mlDir,
          env: {
            ...job.Environment,
            TRAINING_JOB_NAME: job.TrainingJobName,
            TRAINING_JOB_ARN: job.TrainingJobArn,
          },
          log: lineOf(host),
          signal: peers.signal,
          stopGraceSeconds: options.stopGraceSeconds ?? 120,
          ...(options.owner ? { owner: options.owner } : {}),
          ...(network ? { cluster: { network: network.name, host: host.name } } : {}),
          ...(entrypoint || args
            ? { command: { ...(entrypoint ? { entrypoint } : {}), ...(args ? { arguments: args } : {}) } }
            : {}),
        });
        if (exitCode !== 0 && !peers.signal.aborted) {
          outcome.failed = { host, exitCode };
          peers.abort();
        }
      }),
    );
  } finally {
    signal.removeEventListener('abort', stopPeers);
  }
  return outcome;
}

/**
 * The model and output go up as SageMaker sends them: model.tar.gz (or with CompressionType NONE
 * the model's files under model/) and output.tar.gz, each of every host's folder.
 */
async function uploadResults(job: TrainingJob, hosts: readonly TrainingHost[], run: JobRun): Promise<void> {
  const { s3 } = run.options;
  const output = outputPrefix(job);
  const { scratch } = run;
  const model = await mergedFolder(hosts, optMl.model, join(scratch, 'hosts-model'));
  if (job.OutputDataConfig.CompressionType === 'NONE') {
    if (await uploadFolder(s3, model, `${output}/model/`))
      job.ModelArtifacts = { S3ModelArtifacts: `${output}/model/` };
  } else if (await uploadFolderAsTarGz(s3, model, `${output}/model.tar.gz`, scratch)) {
    job.ModelArtifacts = { S3ModelArtifacts: `${output}/model.tar.gz` };
  }
  const outputData = await mergedFolder(hosts, optMl.outputData, join(scratch, 'hosts-output'));
  await uploadFolderAsTarGz(s3, outputData, `${output}/output.tar.gz`, scratch);
}
