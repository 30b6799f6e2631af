// Sends the evaluation file to an endpoint: rows (CSV or JSON lines, or the elements of a JSON
// array, sent as one array per request for a JSON content type) grouped into requests of
// at most `batchSize` rows and under SageMaker's 6 MiB payload limit (a row is never split), a
// bounded number in flight. Throttling and 5xx answers are retried by the SDK's one retry policy
// (retry-policy.ts); Ctrl-C ends a request, or its back-off, at once.

import { setMaxListeners } from 'node:events';
import { InvokeEndpointCommand, type InvokeEndpointCommandOutput } from '@aws-sdk/client-sagemaker-runtime';
import { StageError } from '../shared/errors.js';
import { inParallel } from '../shared/in-parallel.js';
import { ProgressMeter } from '../shared/progress-meter.js';
import { recordsBody } from '../shared/record-body.js';
import type { AwsConnection } from './aws-connection.js';
import { isModelError } from './aws-errors.js';
import { explainAwsError } from './explain-aws-error.js';
import { callUntilAborted } from './retry-policy.js';

/** SageMaker's limit is 6 MiB; a little is kept back for the separators. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 - 1024;

export interface InvokeRequest {
  connection: Pick<AwsConnection, 'runtime'>;
  endpointName: string;
  /** One production variant to ask (TargetVariant), instead of the one the weights pick. */
  targetVariant?: string;
  rows: readonly string[];
  contentType: string;
  accept: string;
  batchSize: number;
  concurrency: number;
  step(title: string): void;
  progress(text: string): void;
  log(line: string): void;
  signal: AbortSignal;
}

export interface InvokeResult {
  /** One prediction line per input row, in the input's order. */
  predictions: string[];
  requests: number;
  retries: number;
}

/** A string's UTF-8 size is at most 3 bytes for each UTF-16 unit (4 for a surrogate pair). */
const MAX_BYTES_PER_UNIT = 3;

/** Consecutive row ranges [start, end) that respect both the row count and the byte limit. */
export function batchRows(
  rows: readonly string[],
  batchSize: number,
  maxBytes = MAX_PAYLOAD_BYTES,
): [number, number][] {
  const batches: [number, number][] = [];
  const sizeOf = (row: string) => Buffer.byteLength(row) + 1;
  let start = 0;
  // A bound on the batch's size, and its exact size once the bound alone cannot say a row fits:
  // Buffer.byteLength of every one of a million rows was a tenth of the invoke stage's own CPU.
  let bound = 0;
  let exact: number | undefined;
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index] as string;
    const rowBound = row.length * MAX_BYTES_PER_UNIT + 1;
    let size = rowBound > maxBytes ? sizeOf(row) : undefined;
    if (size !== undefined && size > maxBytes) {
      throw new StageError(
        `row ${index + 1} of the invoke data is ${size} bytes, over SageMaker's 6 MiB request limit`,
      );
    }
    if (index > start) {
      let full = index - start >= batchSize;
      if (!full && bound + rowBound > maxBytes) {
        exact ??= rows.slice(start, index).reduce((sum, earlier) => sum + sizeOf(earlier), 0);
        size ??= sizeOf(row);
        full = exact + size > maxBytes;
      }
      if (full) {
        batches.push([start, index]);
        start = index;
        bound = 0;
        exact = undefined;
      }
    }
    bound += rowBound;
    if (exact !== undefined) exact += size ?? sizeOf(row);
  }
  if (start < rows.length) batches.push([start, rows.length]);
  return batches;
}

/**
 * A response body as one line per row: CSV or JSON lines as they are; a JSON array, or an object
 * with a `predictions` array (as TensorFlow Serving and the example model answer), element by element.
 */
export function predictionLines(body: string, accept: string): string[] {
  const text = body.trim();
  if (/json/i.test(accept) && (text.startsWith('[') || text.startsWith('{'))) {
    try {
      const parsed = JSON.parse(text) as unknown;
      const list = Array.isArray(parsed) ? parsed : (parsed as { predictions?: unknown }).predictions;
      if (Array.isArray(list)) {
        return list.map((value) =>
          Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : JSON.stringify(value),
        );
      }
    } catch {
      // JSON lines, one document per row: split below.
    }
  }
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') lines.push(line);
  }
  return lines;
}

export async function invokeInBatches(request: InvokeRequest): Promise<InvokeResult> {
  const batches = batchRows(request.rows, request.batchSize);
  // Every request in flight listens to the run's abort signal.
  setMaxListeners(request.concurrency + 16, request.signal);
  const predictions: string[][] = new Array(batches.length);
  let retries = 0;
  let finished = 0;

  const send = async (index: number) => {
    const [start, end] = batches[index] as [number, number];
    const body = recordsBody(request.rows.slice(start, end), request.contentType);
    let answer: InvokeEndpointCommandOutput;
    try {
      answer = await callUntilAborted(
        request.connection.runtime.send(
          new InvokeEndpointCommand({
            EndpointName: request.endpointName,
            ...(request.targetVariant ? { TargetVariant: request.targetVariant } : {}),
            ContentType: request.contentType,
            Accept: request.accept,
            Body: Buffer.from(body),
          }),
          { abortSignal: request.signal },
        ),
        request.signal,
      );
    } catch (error) {
      if (request.signal.aborted) throw error;
      if (isModelError(error)) {
        const original = error.OriginalMessage;
        throw new StageError(
          `the model's container refused rows ${start + 1}-${end}: ${(error as Error).message}`,
          original,
          { cause: error },
        );
      }
      throw explainAwsError(error, `invoking ${request.endpointName} with rows ${start + 1}-${end}`);
    }
    const attempts = answer.$metadata.attempts ?? 1;
    if (attempts > 1) {
      retries += attempts - 1;
      request.log(`rows ${start + 1}-${end} answered after ${attempts} attempts`);
    }
    const payload = answer.Body ?? new Uint8Array();
    // A view of the answer's bytes, not a copy.
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    const lines = predictionLines(text, request.accept);
    if (lines.length !== end - start) {
      throw new StageError(
        `the endpoint answered ${lines.length} predictions for rows ${start + 1}-${end} (${end - start} rows)`,
      );
    }
    predictions[index] = lines;
  };

  const meter = new ProgressMeter({ items: request.rows.length, unit: 'rows' });
  await inParallel(
    batches.map((_, index) => index),
    request.concurrency,
    async (index) => {
      await send(index);
      finished++;
      const [start, end] = batches[index] as [number, number];
      meter.add(0, end - start);
      if (meter.due())
        request.progress(`${finished} of ${batches.length} requests answered, ${meter.describe()}`);
    },
  );
  // Copied into one array by hand: Array.prototype.flat took 170 ms for a million predictions.
  const all: string[] = new Array(request.rows.length);
  let at = 0;
  for (const lines of predictions) for (const line of lines) all[at++] = line;
  return { predictions: all, requests: batches.length, retries };
}
