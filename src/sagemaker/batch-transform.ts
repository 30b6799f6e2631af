// invoke.via transform: the evaluation rows through one SageMaker batch transform job on the
// deployed model instead of requests to the endpoint. The rows go to S3 as one object, the job
// (its name saved before the wait, re-attached to after a kill) splits them by lines and batches
// them as invoke.transform says, and its KEY.out holds the answers in the rows' order.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateTransformJobCommand,
  DescribeTransformJobCommand,
  type DescribeTransformJobResponse,
} from '@aws-sdk/client-sagemaker';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';
import { uniqueResourceName } from '../shared/poll.js';
import type { AwsConnection } from './aws-connection.js';
import { dataBucketOf, dataPrefixOf } from './data-location.js';
import { aws } from './explain-aws-error.js';
import { predictionLines } from './invoke-batches.js';
import { reattaches } from './saved-job.js';
import { StatusWait } from './status-wait.js';

export interface TransformRequest {
  connection: AwsConnection;
  config: PipelineConfig;
  /** The model to run: the deployment's (its model and endpoint config share the name). */
  modelName: string;
  rows: readonly string[];
  runId: string;
  /** Which of a run's transforms (the candidate's, the champion's): part of the keys. */
  label: string;
  resumeJobName?: string;
  saveJobName(name: string): Promise<void>;
  step(title: string): void;
  log(line: string): void;
  signal: AbortSignal;
}

export interface TransformResult {
  jobName: string;
  predictions: string[];
  /** From TransformStartTime to TransformEndTime: what the job's instances are billed for. */
  seconds: number;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

export async function transformRows(request: TransformRequest): Promise<TransformResult> {
  const { connection, config } = request;
  const invoke = config.invoke;
  if (!invoke) throw new StageError('invoke.via transform needs an invoke section');
  const bucket = dataBucketOf(config);
  if (!bucket) throw new StageError('aws.bucket is not set: a batch transform reads and writes S3');
  const base = `${dataPrefixOf(config)}/transform/${request.runId}/${request.label}`;
  const inputKey = `${base}/input/rows`;
  const outputPrefix = `${base}/output`;

  const resume = request.resumeJobName;
  let jobName =
    resume &&
    (await reattaches(connection, {
      kind: 'transform job',
      name: resume,
      again: 'transforming again',
      describe: () =>
        connection.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: resume })),
      log: request.log,
    }))
      ? resume
      : undefined;
  if (!jobName) {
    await aws(`uploading the rows to s3://${bucket}/${inputKey}`, () =>
      connection.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: inputKey,
          Body: `${request.rows.join('\n')}\n`,
          ContentType: invoke.contentType,
        }),
      ),
    );
    jobName = uniqueResourceName(`${config.name}-transform`);
    // Saved before the call: a run killed between the two finds the job, or finds it missing.
    await request.saveJobName(jobName);
    const name = jobName;
    const settings = invoke.transform;
    await aws(`creating the transform job ${name}`, () =>
      connection.sagemaker.send(
        new CreateTransformJobCommand({
          TransformJobName: name,
          ModelName: request.modelName,
          BatchStrategy: settings.batchStrategy,
          MaxPayloadInMB: settings.maxPayloadInMB,
          MaxConcurrentTransforms: settings.maxConcurrentTransforms,
          TransformInput: {
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/${inputKey}` } },
            ContentType: invoke.contentType,
            SplitType: 'Line',
          },
          TransformOutput: {
            S3OutputPath: `s3://${bucket}/${outputPrefix}`,
            Accept: invoke.accept,
            AssembleWith: 'Line',
          },
          TransformResources: { InstanceType: settings.instanceType as never, InstanceCount: 1 },
          ...(settings.inputFilter || settings.outputFilter || settings.joinSource
            ? {
                DataProcessing: {
                  ...(settings.inputFilter ? { InputFilter: settings.inputFilter } : {}),
                  ...(settings.outputFilter ? { OutputFilter: settings.outputFilter } : {}),
                  ...(settings.joinSource ? { JoinSource: settings.joinSource } : {}),
                },
              }
            : {}),
          Tags: [{ Key: 'pipeline', Value: config.name }],
        }),
      ),
    );
    request.log(
      `created the transform job ${name} on ${request.modelName} (${settings.batchStrategy}, ${settings.maxPayloadInMB} MB)`,
    );
  }

  const statusWait = await StatusWait.begin(connection, 'transform-job', jobName);
  const started = Date.now();
  let job: DescribeTransformJobResponse;
  for (;;) {
    const name = jobName;
    job = await aws(`describing the transform job ${name}`, () =>
      connection.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name })),
    );
    request.step(`${name}: ${job.TransformJobStatus} (${Math.round((Date.now() - started) / 1000)}s)`);
    if (TERMINAL.has(job.TransformJobStatus ?? '')) break;
    await statusWait.next(request.signal);
    if (request.signal.aborted) throw new StageError(`stopped waiting for ${name}; it keeps running`);
  }
  if (job.TransformJobStatus !== 'Completed')
    throw new StageError(
      `the transform job ${jobName} ${job.TransformJobStatus === 'Stopped' ? 'was stopped' : 'failed'}: ${job.FailureReason ?? 'no reason given'}`,
    );
  const outputKey = `${outputPrefix}/rows.out`;
  const got = await aws(`reading s3://${bucket}/${outputKey}`, () =>
    connection.s3.send(new GetObjectCommand({ Bucket: bucket, Key: outputKey })),
  );
  const text = (await got.Body?.transformToString()) ?? '';
  // Each line is one mini-batch's answer (one line per row for CSV; a JSON document for JSON).
  const predictions = text
    .split('\n')
    .filter((line) => line.length > 0)
    .flatMap((line) => predictionLines(line, invoke.accept));
  if (predictions.length !== request.rows.length)
    throw new StageError(
      `the transform job ${jobName} answered ${predictions.length} predictions for ${request.rows.length} rows (s3://${bucket}/${outputKey})`,
    );
  const seconds =
    job.TransformStartTime && job.TransformEndTime
      ? Math.max(0, Math.round((job.TransformEndTime.getTime() - job.TransformStartTime.getTime()) / 1000))
      : 0;
  return { jobName, predictions, seconds };
}
