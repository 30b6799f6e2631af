// Runs a SageMaker Processing job to its end, as training-job.ts runs a training job: created (or
// re-attached to when an earlier run saved its name), its name saved before any wait, its log
// streamed, polled with backoff (status-wait.ts); a failure says SageMaker's reason and the end of the log.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  CreateProcessingJobCommand,
  type CreateProcessingJobRequest,
  DescribeProcessingJobCommand,
  type DescribeProcessingJobResponse,
} from '@aws-sdk/client-sagemaker';
import { StageError } from '../shared/errors.js';
import type { AwsConnection } from './aws-connection.js';
import { aws } from './explain-aws-error.js';
import { FollowedJobLog, JOB_LOG_GROUPS } from './job-log-stream.js';
import { reattaches } from './saved-job.js';
import { StatusWait } from './status-wait.js';

/** Where SageMaker puts a processing job's inputs and takes its outputs from. */
export const PROCESSING_INPUT_DIR = '/opt/ml/processing/input';
export const PROCESSING_OUTPUT_DIR = '/opt/ml/processing/output';

export interface ProcessingJobRequest {
  connection: AwsConnection;
  /** The whole request of a new job (its name included). */
  create: CreateProcessingJobRequest;
  /** The job an interrupted run started, to re-attach to. */
  resumeJobName?: string;
  saveJobName(name: string): Promise<void>;
  logFile: string;
  step(title: string): void;
  log(line: string): void;
  signal: AbortSignal;
}

export interface ProcessingResult {
  jobName: string;
  /** Output name → the S3 prefix it was uploaded to. */
  outputs: Record<string, string>;
  seconds: number;
}

const describe = (connection: AwsConnection, name: string): Promise<DescribeProcessingJobResponse> =>
  aws(`describing the processing job ${name}`, () =>
    connection.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: name })),
  );

/** The job to follow: the saved one if it still exists, else a new one (its name saved first). */
async function startOrAttach(request: ProcessingJobRequest): Promise<string> {
  const { connection, resumeJobName } = request;
  if (
    resumeJobName &&
    (await reattaches(connection, {
      kind: 'processing job',
      name: resumeJobName,
      again: 'starting again',
      describe: () =>
        connection.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: resumeJobName })),
      log: request.log,
    }))
  )
    return resumeJobName;
  const jobName = request.create.ProcessingJobName as string;
  // Saved before the call: a run killed between the two finds the job, or finds it missing and
  // starts one; never two jobs for one attempt.
  await request.saveJobName(jobName);
  request.step(`creating the processing job ${jobName}`);
  await aws(`creating the processing job ${jobName}`, () =>
    connection.sagemaker.send(new CreateProcessingJobCommand(request.create)),
  );
  const cluster = request.create.ProcessingResources?.ClusterConfig;
  request.log(`created the processing job ${jobName} (${cluster?.InstanceCount}× ${cluster?.InstanceType})`);
  return jobName;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

export async function runProcessingJob(request: ProcessingJobRequest): Promise<ProcessingResult> {
  const { connection } = request;
  const jobName = await startOrAttach(request);
  await mkdir(dirname(request.logFile), { recursive: true });
  const logs = new FollowedJobLog(
    connection.logs,
    jobName,
    request.logFile,
    request.log,
    JOB_LOG_GROUPS.processing,
  );
  const statusWait = await StatusWait.begin(connection, 'processing-job', jobName);
  const started = Date.now();
  let job: DescribeProcessingJobResponse;
  let lastStatus: string | undefined;
  for (;;) {
    job = await describe(connection, jobName);
    if (job.ProcessingJobStatus !== lastStatus) statusWait.reset();
    lastStatus = job.ProcessingJobStatus;
    request.step(`${jobName}: ${job.ProcessingJobStatus} (${Math.round((Date.now() - started) / 1000)}s)`);
    await logs.poll();
    if (TERMINAL.has(job.ProcessingJobStatus ?? '')) break;
    await statusWait.next(request.signal);
    if (request.signal.aborted) throw new StageError(`stopped waiting for ${jobName}; it keeps running`);
  }
  // The last lines can land after the status changes.
  await logs.poll();
  if (job.ProcessingJobStatus !== 'Completed') {
    const reason = job.FailureReason ?? job.ExitMessage ?? 'no reason given';
    throw new StageError(
      `the processing job ${jobName} ${job.ProcessingJobStatus === 'Stopped' ? 'was stopped' : 'failed'}: ${reason}`,
      logs.failureDetail(),
    );
  }
  const outputs = Object.fromEntries(
    (job.ProcessingOutputConfig?.Outputs ?? []).flatMap((output) =>
      output.OutputName && output.S3Output?.S3Uri ? [[output.OutputName, output.S3Output.S3Uri]] : [],
    ),
  );
  const seconds =
    job.ProcessingEndTime && job.ProcessingStartTime
      ? Math.round((job.ProcessingEndTime.getTime() - job.ProcessingStartTime.getTime()) / 1000)
      : 0;
  return { jobName, outputs, seconds };
}
