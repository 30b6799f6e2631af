// Runs a processing job as SageMaker Processing does
// (https://docs.aws.amazon.com/sagemaker/latest/dg/build-your-own-processing-container.html): each
// input comes down from S3 to its LocalPath under /opt/ml/processing, the job's configuration is
// in /opt/ml/config/processingjobconfig.json and resourceconfig.json, the image runs as
// `docker run IMAGE` (its ENTRYPOINT, or ContainerEntrypoint with ContainerArguments; a program
// folder's `process` program), each output goes up from its LocalPath to its S3Uri at the end
// (EndOfJob), and /opt/ml/output/message becomes ExitMessage. The exit code decides Completed or
// Failed; StopProcessingJob and MaxRuntimeInSeconds stop it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { STOPPED_WITH_SERVER } from '../daemon.js';
import type { DescribeProcessingJobResponse } from '../generated/sagemaker-wire.js';
import { epochSeconds } from '../protocol/request-fields.js';
import { downloadInput, type StoredObjects, uploadFolder } from '../s3/s3-transfer.js';
import type { JobLog } from './job-log.js';
import { imageFor } from './training-job-runner.js';

/** A processing job as it is kept: its Describe answer. */
export type ProcessingJob = DescribeProcessingJobResponse;

/** Why a processing job ended early. */
export type ProcessingStopReason = 'Stopped' | 'MaxRuntimeExceeded' | 'ServerStopped';

/** Where a container path under /opt/ml is in the job's folder mounted there. */
export const hostPathOf = (mlDir: string, containerPath: string): string =>
  join(mlDir, containerPath.replace(/^\/opt\/ml\/?/, ''));

export interface ProcessingRun {
  mlDir: string;
  scratch: string;
  log: JobLog;
  save(): Promise<void>;
  options: { s3: S3Client; objects: StoredObjects; stopGraceSeconds?: number; owner?: string };
  signal: AbortSignal;
  stoppedAs(): ProcessingStopReason | undefined;
  stop(reason: 'MaxRuntimeExceeded'): void;
}

export async function runProcessingJob(job: ProcessingJob, run: ProcessingRun): Promise<void> {
  const { mlDir, log, options, signal } = run;
  const { runtime, image } = imageFor(job.AppSpecification.ImageUri);
  try {
    try {
      await runtime.prepareImage(image, 'process');
    } catch (error) {
      throw new Error(`ClientError: ${(error as Error).message}`);
    }
    for (const input of job.ProcessingInputs ?? []) {
      const s3Input = input.S3Input;
      if (!s3Input) continue;
      // CreateProcessingJob refuses an input or output without its LocalPath.
      const target = hostPathOf(mlDir, s3Input.LocalPath as string);
      await downloadInput(options.objects, s3Input, target, join(run.scratch, 'manifests', input.InputName));
    }
    for (const output of job.ProcessingOutputConfig?.Outputs ?? [])
      if (output.S3Output)
        await mkdir(hostPathOf(mlDir, output.S3Output.LocalPath as string), { recursive: true });
    await mkdir(join(mlDir, 'config'), { recursive: true });
    await mkdir(join(mlDir, 'output'), { recursive: true });
    const { ProcessingJobStatus: _status, LastModifiedTime: _modified, ...config } = job;
    await writeFile(
      join(mlDir, 'config', 'processingjobconfig.json'),
      `${JSON.stringify(config, null, 2)}\n`,
    );
    await writeFile(
      join(mlDir, 'config', 'resourceconfig.json'),
      `${JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: 'eth0' })}\n`,
    );

    job.ProcessingStartTime = epochSeconds();
    await run.save();
    const timer = job.StoppingCondition
      ? setTimeout(() => run.stop('MaxRuntimeExceeded'), job.StoppingCondition.MaxRuntimeInSeconds * 1000)
      : undefined;
    const { ContainerEntrypoint: entrypoint, ContainerArguments: args } = job.AppSpecification;
    const { exitCode } = await runtime
      .train({
        image,
        program: 'process',
        mlDir,
        env: { ...job.Environment },
        log: (line) => log.append(line),
        signal,
        stopGraceSeconds: options.stopGraceSeconds ?? 120,
        ...(options.owner ? { owner: options.owner } : {}),
        ...(entrypoint || args
          ? { command: { ...(entrypoint ? { entrypoint } : {}), ...(args ? { arguments: args } : {}) } }
          : {}),
      })
      .finally(() => clearTimeout(timer));

    // What the job wrote goes up whether it completed or not, as SageMaker's EndOfJob outputs do.
    for (const output of job.ProcessingOutputConfig?.Outputs ?? []) {
      const s3Output = output.S3Output;
      if (!s3Output) continue;
      const uri = s3Output.S3Uri.endsWith('/') ? s3Output.S3Uri : `${s3Output.S3Uri}/`;
      await uploadFolder(options.s3, hostPathOf(mlDir, s3Output.LocalPath as string), uri);
    }
    const message = await readFile(join(mlDir, 'output', 'message'), 'utf8').catch(() => '');
    if (message) job.ExitMessage = message.slice(0, 1024);
    const stopped = run.stoppedAs();
    if (stopped === 'ServerStopped') {
      job.ProcessingJobStatus = 'Failed';
      job.FailureReason = STOPPED_WITH_SERVER;
    } else if (stopped === 'MaxRuntimeExceeded') {
      job.ProcessingJobStatus = 'Failed';
      job.FailureReason = `The job exceeded MaxRuntimeInSeconds (${job.StoppingCondition?.MaxRuntimeInSeconds} s)`;
    } else if (stopped === 'Stopped') job.ProcessingJobStatus = 'Stopped';
    else if (exitCode === 0) job.ProcessingJobStatus = 'Completed';
    else {
      job.ProcessingJobStatus = 'Failed';
      job.FailureReason = `AlgorithmError: See job logs for more information (exit code ${exitCode})`;
    }
  } catch (error) {
    job.ProcessingJobStatus = 'Failed';
    const message = (error as Error).message;
    job.FailureReason = (message.startsWith('ClientError: ') ? message : `ClientError: ${message}`).slice(
      0,
      1024,
    );
    log.append(job.FailureReason);
  } finally {
    job.ProcessingEndTime = epochSeconds();
    await run.save();
  }
}
