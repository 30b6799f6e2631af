// Runs a batch transform job as SageMaker does
// (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform.html): the model's `serve`
// started as for an endpoint, asked GET /execution-parameters for the settings the job leaves
// unset, then each object under the input prefix, in key order, split into records (SplitType
// Line) and sent in mini-batches (BatchStrategy MultiRecord: as many records as fit in
// MaxPayloadInMB; SingleRecord: one each), MaxConcurrentTransforms at a time, to POST /invocations;
// the answers, in the records' order (joined by lines with AssembleWith Line), become KEY.out under
// S3OutputPath. An answer that is not 2xx fails the job with the container's answer.
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RunningServer } from '../../runtimes/container-runtime.js';
import { waitForPing } from '../../runtimes/wait-for-ping.js';
import { freePort } from '../../shared/free-port.js';
import { httpRequest } from '../../shared/http-request.js';
import { inParallel } from '../../shared/in-parallel.js';
import {
  applyJsonPath,
  filterRecord,
  formatOf,
  joinRecord,
  parseJsonPath,
  type RecordFormat,
  recordText,
  recordValue,
} from '../../shared/transform-records.js';
import { STOPPED_WITH_SERVER } from '../daemon.js';
import type { DescribeTransformJobResponse } from '../generated/sagemaker-wire.js';
import { epochSeconds } from '../protocol/request-fields.js';
import { parseS3Uri } from '../s3/s3-transfer.js';
import type { JobLog } from './job-log.js';
import { imageFor } from './training-job-runner.js';

/** A transform job as it is kept: its Describe answer. */
export type TransformJob = DescribeTransformJobResponse & { CreationTime: number; LastModifiedTime?: number };

export type TransformStopReason = 'Stopped' | 'ServerStopped';

/** SageMaker's defaults when neither the job nor the container says (MaxPayloadInMB: 6 MB). */
const DEFAULTS = { MaxConcurrentTransforms: 1, MaxPayloadInMB: 6, BatchStrategy: 'MultiRecord' as const };

export interface TransformRun {
  dir: string;
  log: JobLog;
  save(): Promise<void>;
  /** The model's image and environment, its artifact unpacked under `dir`/model. */
  prepareModel(modelName: string, dir: string): Promise<{ image: string; env?: Record<string, string> }>;
  options: { s3: S3Client; owner?: string };
  signal: AbortSignal;
  stoppedAs(): TransformStopReason | undefined;
}

/** The settings the job leaves unset, from the container's GET /execution-parameters when it answers. */
async function executionParameters(server: RunningServer, job: TransformJob) {
  let answer: Partial<typeof DEFAULTS> = {};
  if (
    job.MaxConcurrentTransforms === undefined ||
    job.MaxPayloadInMB === undefined ||
    job.BatchStrategy === undefined
  ) {
    const response = await httpRequest(`${server.url}/execution-parameters`, { method: 'GET' }).catch(
      () => undefined,
    );
    if (response?.status === 200) {
      try {
        answer = JSON.parse(response.body.toString('utf8')) as Partial<typeof DEFAULTS>;
      } catch {
        answer = {};
      }
    }
  }
  return {
    concurrency:
      job.MaxConcurrentTransforms ?? answer.MaxConcurrentTransforms ?? DEFAULTS.MaxConcurrentTransforms,
    maxPayloadBytes: (job.MaxPayloadInMB ?? answer.MaxPayloadInMB ?? DEFAULTS.MaxPayloadInMB) * 1024 * 1024,
    strategy: job.BatchStrategy ?? answer.BatchStrategy ?? DEFAULTS.BatchStrategy,
  };
}

/** An object's records: its lines (SplitType Line), or the whole object as one. */
function recordsOf(body: Buffer, splitType: string | undefined): Buffer[] {
  if (splitType !== 'Line') return [body];
  const text = body.toString('utf8');
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.length > 0)
    .map((line) => Buffer.from(line));
}

/** Mini-batches of records: one each, or as many as fit in the payload limit (never a record split). */
export function miniBatches(
  records: readonly Buffer[],
  strategy: string,
  maxBytes: number,
  key: string,
): Buffer[][] {
  const batches: Buffer[][] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const record of records) {
    if (record.length > maxBytes)
      throw new Error(
        `ClientError: a record of ${record.length} bytes in ${key} is larger than MaxPayloadInMB (${maxBytes / 1024 / 1024} MB)`,
      );
    const grows = current.length === 0 ? record.length : size + 1 + record.length;
    if (strategy === 'SingleRecord' || (current.length > 0 && grows > maxBytes)) {
      if (current.length > 0) batches.push(current);
      current = [record];
      size = record.length;
    } else {
      current.push(record);
      size = grows;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The job's DataProcessing as two steps, when it does anything: each record filtered before it is
 * sent, and each answer (one line per record) joined with its record and filtered after.
 */
function dataProcessingOf(job: TransformJob) {
  const processing = job.DataProcessing;
  const inputFilter = parseJsonPath(processing?.InputFilter ?? '$', 'DataProcessing.InputFilter');
  const outputFilter = parseJsonPath(processing?.OutputFilter ?? '$', 'DataProcessing.OutputFilter');
  const join = processing?.JoinSource === 'Input';
  if (inputFilter.length === 0 && outputFilter.length === 0 && !join) return undefined;
  const inFormat = formatOf(job.TransformInput.ContentType) as RecordFormat;
  const outFormat = formatOf(job.TransformOutput?.Accept) ?? inFormat;
  return {
    input: (record: Buffer) => Buffer.from(filterRecord(record.toString('utf8'), inputFilter, inFormat)),
    output: (records: readonly Buffer[], answer: string, key: string): string => {
      const lines = answer.split('\n').filter((line) => line.trim().length > 0);
      if (lines.length !== records.length)
        throw new Error(
          `ClientError: the model answered ${lines.length} lines to a mini-batch of ${records.length} records from ${key}: JoinSource and OutputFilter need one answer line per record`,
        );
      return lines
        .map((line, i) => {
          const output = recordValue(line, outFormat);
          const joined = join
            ? joinRecord(recordValue((records[i] as Buffer).toString('utf8'), inFormat), output, outFormat)
            : output;
          return `${recordText(applyJsonPath(joined, outputFilter), outFormat)}\n`;
        })
        .join('');
    },
  };
}

async function objectsUnder(s3: S3Client, uri: string): Promise<string[]> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function runTransformJob(job: TransformJob, run: TransformRun): Promise<void> {
  const { log, options, signal } = run;
  let server: RunningServer | undefined;
  try {
    const model = await run.prepareModel(job.ModelName, run.dir).catch((error: Error) => {
      throw new Error(`ClientError: ${error.message}`);
    });
    const { runtime, image } = imageFor(model.image);
    await runtime.prepareImage(image, 'serve');
    job.TransformStartTime = epochSeconds();
    await run.save();
    server = await runtime.serve({
      image,
      modelDir: join(run.dir, 'model'),
      port: await freePort(),
      env: { ...model.env, ...job.Environment },
      log: (line) => log.append(line),
      ...(options.owner ? { owner: options.owner } : {}),
    });
    await waitForPing(server, 240);
    const settings = await executionParameters(server, job);
    const source = job.TransformInput.DataSource.S3DataSource.S3Uri;
    const { bucket: inBucket, key: inPrefix } = parseS3Uri(source);
    const out = parseS3Uri(job.TransformOutput?.S3OutputPath as string);
    const keys = await objectsUnder(options.s3, source);
    const inFolder = inPrefix.slice(0, inPrefix.lastIndexOf('/') + 1);
    if (keys.length === 0) throw new Error(`ClientError: no object under ${source}`);
    const separator = job.TransformOutput?.AssembleWith === 'Line' ? '\n' : '';
    for (const key of keys) {
      if (signal.aborted) break;
      const got = await options.s3.send(new GetObjectCommand({ Bucket: inBucket, Key: key }));
      const body = Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      const records = recordsOf(body, job.TransformInput.SplitType);
      const processing = dataProcessingOf(job);
      const batches = miniBatches(
        processing ? records.map((record) => processing.input(record)) : records,
        settings.strategy,
        settings.maxPayloadBytes,
        key,
      );
      const answers: string[] = new Array(batches.length);
      await inParallel(
        batches.map((_, index) => index),
        settings.concurrency,
        async (index) => {
          if (signal.aborted) return;
          const payload = Buffer.from(
            (batches[index] as Buffer[]).map((record) => record.toString('utf8')).join('\n'),
          );
          const answer = await httpRequest(`${(server as RunningServer).url}/invocations`, {
            method: 'POST',
            headers: {
              ...(job.TransformInput.ContentType ? { 'content-type': job.TransformInput.ContentType } : {}),
              ...(job.TransformOutput?.Accept ? { accept: job.TransformOutput.Accept } : {}),
            },
            body: payload,
          });
          if (answer.status < 200 || answer.status > 299)
            throw new Error(
              `AlgorithmError: the model answered ${answer.status} to a mini-batch of ${(batches[index] as Buffer[]).length} records from s3://${inBucket}/${key}: ${answer.body.toString('utf8').slice(0, 500)}`,
            );
          const text = answer.body.toString('utf8');
          if (processing) {
            const first = batches.slice(0, index).reduce((sum, batch) => sum + batch.length, 0);
            const batch = records.slice(first, first + (batches[index] as Buffer[]).length);
            answers[index] = processing.output(batch, text, key);
          } else answers[index] = separator && !text.endsWith('\n') ? `${text}\n` : text;
        },
      );
      if (signal.aborted) break;
      // Named as the object is under the prefix's folder (s3://b/in/part → in/part-1.csv → part-1.csv.out).
      const name = key.slice(inFolder.length);
      const outKey = `${out.key.replace(/\/+$/, '')}${out.key === '' ? '' : '/'}${name}.out`;
      await options.s3.send(
        new PutObjectCommand({ Bucket: out.bucket, Key: outKey, Body: answers.join('') }),
      );
      log.append(
        `transformed s3://${inBucket}/${key}: ${batches.length} mini-batch(es) → s3://${out.bucket}/${outKey}`,
      );
    }
    const stopped = run.stoppedAs();
    if (stopped === 'ServerStopped') {
      job.TransformJobStatus = 'Failed';
      job.FailureReason = STOPPED_WITH_SERVER;
    } else if (stopped === 'Stopped') job.TransformJobStatus = 'Stopped';
    else job.TransformJobStatus = 'Completed';
  } catch (error) {
    const stopped = run.stoppedAs();
    if (stopped === 'Stopped') job.TransformJobStatus = 'Stopped';
    else {
      job.TransformJobStatus = 'Failed';
      const message = (error as Error).message;
      job.FailureReason = (
        /^(ClientError|AlgorithmError): /.test(message) ? message : `ClientError: ${message}`
      ).slice(0, 1024);
      log.append(job.FailureReason);
    }
  } finally {
    await server?.stop(5).catch(() => undefined);
    job.TransformEndTime = epochSeconds();
    job.LastModifiedTime = epochSeconds();
    await run.save();
  }
}
