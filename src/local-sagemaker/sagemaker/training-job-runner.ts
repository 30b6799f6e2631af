// Runs a training job as SageMaker does: the image is had (or the job fails while Starting), the
// channels come down from S3 into /opt/ml, the image's `train` runs (docker, or a file:// image's
// programs as processes) with its log read for the metric definitions, and the model and output
// go back up as model.tar.gz and output.tar.gz; the job ends Completed, Failed (the failure file
// as FailureReason), Stopped or MaxRuntimeExceeded.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BuiltImage, ContainerRuntime } from '../../runtimes/container-runtime.js';
import { dockerRuntime } from '../../runtimes/docker/docker-runtime.js';
import {
  makeOutputFolders,
  optMl,
  writeHyperparameters,
  writeInputDataConfig,
  writeResourceConfig,
} from '../../runtimes/opt-ml.js';
import { processRuntime } from '../../runtimes/process-runtime.js';
import { STOPPED_WITH_SERVER } from '../daemon.js';
import { epochSeconds } from '../protocol/request-fields.js';
import {
  downloadManifest,
  downloadPrefix,
  type StoredObjects,
  uploadFolder,
  uploadFolderAsTarGz,
} from '../s3/s3-transfer.js';
import { startCheckpointSync } from './checkpoint-sync.js';
import type { JobLog } from './job-log.js';
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
  /** The job's /opt/ml. */
  mlDir: string;
  /** Where the archives are made before they go up. */
  scratch: string;
  log: JobLog;
  /** Saves the job's record as it is now. */
  save(): Promise<void>;
  options: { s3: S3Client; objects: StoredObjects; stopGraceSeconds?: number; owner?: string };
  signal: AbortSignal;
  /** Why the job was ended early, if it was. */
  stoppedAs(): StopReason | undefined;
  stop(reason: 'MaxRuntimeExceeded'): void;
}

export async function runTrainingJob(job: TrainingJob, run: JobRun): Promise<void> {
  const { mlDir, log, options, signal, stoppedAs, stop } = run;
  const save = () => run.save();
  const name = job.TrainingJobName;
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
    transition(job, 'Downloading', 'Downloading input data');
    await save();
    for (const channel of job.InputDataConfig ?? []) {
      const { S3Uri, S3DataType } = channel.DataSource.S3DataSource;
      const target = optMl.channel(mlDir, channel.ChannelName);
      if (S3DataType === 'ManifestFile')
        await downloadManifest(
          options.objects,
          S3Uri,
          target,
          join(run.scratch, 'manifests', channel.ChannelName),
        );
      else await downloadPrefix(options.objects, S3Uri, target);
    }
    await writeInputDataConfig(
      mlDir,
      (job.InputDataConfig ?? []).map((channel) => ({
        name: channel.ChannelName,
        ...(channel.ContentType ? { contentType: channel.ContentType } : {}),
        distribution: channel.DataSource.S3DataSource.S3DataDistributionType ?? 'FullyReplicated',
      })),
    );
    await writeHyperparameters(mlDir, job.HyperParameters ?? {});
    await writeResourceConfig(mlDir, job.ResourceConfig.InstanceCount);
    await makeOutputFolders(mlDir);
    const checkpoints = job.CheckpointConfig
      ? await startCheckpointSync(
          options.s3,
          options.objects,
          job.CheckpointConfig.S3Uri,
          join(mlDir, 'checkpoints'),
        )
      : undefined;

    transition(job, 'Training', 'Training image download completed. Training in progress.');
    trainingStarted = Date.now();
    job.TrainingStartTime = epochSeconds();
    await save();
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
        stopGraceSeconds: options.stopGraceSeconds ?? 120,
        ...(options.owner ? { owner: options.owner } : {}),
        ...(job.AlgorithmSpecification.ContainerEntrypoint || job.AlgorithmSpecification.ContainerArguments
          ? {
              command: {
                ...(job.AlgorithmSpecification.ContainerEntrypoint
                  ? { entrypoint: job.AlgorithmSpecification.ContainerEntrypoint }
                  : {}),
                ...(job.AlgorithmSpecification.ContainerArguments
                  ? { arguments: job.AlgorithmSpecification.ContainerArguments }
                  : {}),
              },
            }
          : {}),
      })
      .finally(async () => {
        clearTimeout(timer);
        // The last checkpoints, whether the job completed, failed or was stopped.
        await checkpoints?.finish();
      });
    const trainingSeconds = Math.max(1, Math.round((Date.now() - trainingStarted) / 1000));

    transition(job, 'Uploading', 'Uploading generated training model');
    await save();
    const output = outputPrefix(job);
    const { scratch } = run;
    // As SageMaker: model.tar.gz, or with CompressionType NONE the model's files under model/.
    if (job.OutputDataConfig.CompressionType === 'NONE') {
      if (await uploadFolder(options.s3, optMl.model(mlDir), `${output}/model/`))
        job.ModelArtifacts = { S3ModelArtifacts: `${output}/model/` };
    } else if (await uploadFolderAsTarGz(options.s3, optMl.model(mlDir), `${output}/model.tar.gz`, scratch)) {
      job.ModelArtifacts = { S3ModelArtifacts: `${output}/model.tar.gz` };
    }
    await uploadFolderAsTarGz(options.s3, optMl.outputData(mlDir), `${output}/output.tar.gz`, scratch);

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
      transition(job, 'Failed', job.FailureReason);
    } else if (stopReason) {
      job.TrainingJobStatus = 'Stopped';
      transition(
        job,
        stopReason,
        stopReason === 'Stopped' ? 'Training job stopped' : 'The job exceeded MaxRuntimeInSeconds',
      );
    } else if (exitCode === 0) {
      job.TrainingJobStatus = 'Completed';
      transition(job, 'Completed', 'Training job completed');
    } else {
      const failure = (await readFile(optMl.failure(mlDir), 'utf8').catch(() => '')).trim();
      job.TrainingJobStatus = 'Failed';
      job.FailureReason = `AlgorithmError: ${failure ? failure.slice(0, 1024) : `the training program exited with code ${exitCode}`}`;
      transition(job, 'Failed', job.FailureReason);
    }
  } catch (error) {
    job.TrainingJobStatus = 'Failed';
    job.FailureReason = (
      error instanceof JobSetupError ? error.message : `ClientError: ${(error as Error).message}`
    ).slice(0, 1024);
    transition(job, 'Failed', job.FailureReason);
    log.append(job.FailureReason);
  } finally {
    const last = job.SecondaryStatusTransitions.at(-1);
    if (last) last.EndTime = epochSeconds();
    job.TrainingEndTime = epochSeconds();
    await save();
  }
}
