// The runtime API's InvokeEndpointAsync (`POST /endpoints/NAME/async-invocations`), as SageMaker
// runs it: the request names an input object in S3 and is answered at once (202) with the
// InferenceId and where the result will be; the local SageMaker queues it, and a worker per
// endpoint (MaxConcurrentInvocationsPerInstance at a time) reads the input, sends it to the
// serving container and writes the answer to S3OutputPath/ID.out, or the reason it failed to
// S3FailurePath/ID-error.out (S3OutputPath when there is no failure path). A request still
// queued after its RequestTTLSeconds fails as expired. Output-path extensions, file names and
// SNS notifications are refused as not supported, never accepted and ignored.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri } from '../s3/s3-transfer.js';
import type { Hosting } from '../sagemaker/hosting.js';
import type { AsyncInferenceConfig } from '../sagemaker/hosting-resources.js';
import {
  type ContainerAnswer,
  CUSTOM_ATTRIBUTES,
  callContainer,
  headerOf,
  modelError,
  sendRouteError,
  sendRuntimeError,
} from './invoke-endpoint.js';

/** The runtime operation this route serves (the API coverage table lists it). */
export const ASYNC_INVOKE_OPERATION = 'InvokeEndpointAsync';

/** SageMaker's defaults and limits for the two time settings of a request. */
const TTL_SECONDS = { default: 21_600, min: 60, max: 21_600 };
const TIMEOUT_SECONDS = { default: 900, min: 1, max: 3_600 };
/** When the config leaves it to SageMaker, requests a server takes at once. */
const DEFAULT_CONCURRENCY = 4;

interface QueuedInvocation {
  endpoint: string;
  inputLocation: string;
  outputLocation: string;
  failureLocation: string;
  headers: Record<string, string>;
  expiresAt: number;
  timeoutMs: number;
}

/** A whole number of seconds in SageMaker's range for the header, or the reason it is not. */
function secondsHeader(
  value: string | undefined,
  name: string,
  range: { default: number; min: number; max: number },
): number | string {
  if (value === undefined) return range.default;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < range.min || seconds > range.max)
    return `1 validation error detected: Value '${value}' at '${name}' failed to satisfy constraint: Member must have value between ${range.min} and ${range.max}`;
  return seconds;
}

const joinKey = (path: string, file: string): string => `${path.replace(/\/+$/, '')}/${file}`;

export class AsyncInvocations {
  private readonly queues = new Map<string, QueuedInvocation[]>();
  private readonly running = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly hosting: Hosting,
    private readonly s3: S3Client,
    private readonly region: string,
  ) {}

  /** Handles the request if it is an asynchronous invocation; false otherwise. */
  route() {
    return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
      const match = (request.url ?? '').match(/^\/endpoints\/([^/?]+)\/async-invocations(\?.*)?$/);
      if (request.method !== 'POST' || !match) return false;
      request.resume();
      const name = decodeURIComponent(match[1] as string);
      const refused = (message: string) => {
        sendRuntimeError(response, 400, 'ValidationError', { message });
        return true;
      };
      for (const unsupported of ['x-amzn-sagemaker-s3outputpathextension', 'x-amzn-sagemaker-filename'])
        if (headerOf(request, unsupported) !== undefined)
          return refused(
            `${unsupported} is not supported by the local SageMaker; leave it out, or use target aws`,
          );
      const inputLocation = headerOf(request, 'x-amzn-sagemaker-inputlocation');
      if (!inputLocation)
        return refused(
          "1 validation error detected: Value null at 'inputLocation' failed to satisfy constraint: Member must not be null",
        );
      if (!/^s3:\/\/[^/]+\/.+/.test(inputLocation))
        return refused(`InputLocation ${inputLocation} is not an s3:// URI of an object.`);
      const ttl = secondsHeader(
        headerOf(request, 'x-amzn-sagemaker-requestttlseconds'),
        'requestTTLSeconds',
        TTL_SECONDS,
      );
      if (typeof ttl === 'string') return refused(ttl);
      const timeout = secondsHeader(
        headerOf(request, 'x-amzn-sagemaker-invocationtimeoutseconds'),
        'invocationTimeoutSeconds',
        TIMEOUT_SECONDS,
      );
      if (typeof timeout === 'string') return refused(timeout);

      const route = await this.hosting.route(name);
      if (sendRouteError(response, name, route) || route.kind !== 'serve') return true;
      route.done();
      const config = route.asyncInference;
      if (!config)
        return refused(
          `Endpoint ${name} is not configured for asynchronous inference (AsyncInferenceConfig): send its requests with InvokeEndpoint.`,
        );
      const inferenceId = headerOf(request, 'x-amzn-sagemaker-inference-id') ?? randomUUID();
      const file = randomUUID();
      const output = config.OutputConfig.S3OutputPath as string;
      const invocation: QueuedInvocation = {
        endpoint: name,
        inputLocation,
        outputLocation: joinKey(output, `${file}.out`),
        failureLocation: joinKey(config.OutputConfig.S3FailurePath ?? output, `${file}-error.out`),
        headers: {},
        expiresAt: Date.now() + ttl * 1000,
        timeoutMs: timeout * 1000,
      };
      for (const [from, to] of [
        ['x-amzn-sagemaker-content-type', 'content-type'],
        ['x-amzn-sagemaker-accept', 'accept'],
        [CUSTOM_ATTRIBUTES, CUSTOM_ATTRIBUTES],
      ] as const) {
        const value = headerOf(request, from);
        if (value !== undefined) invocation.headers[to] = value;
      }
      // Per instance, as the setting's name says: every instance of the variant takes as many.
      this.enqueue(invocation, concurrencyOf(config) * route.instances);
      const text = JSON.stringify({ InferenceId: inferenceId });
      response.writeHead(202, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        'X-Amzn-SageMaker-OutputLocation': invocation.outputLocation,
        'X-Amzn-SageMaker-FailureLocation': invocation.failureLocation,
      });
      response.end(text);
      return true;
    };
  }

  /** Resolves when every queued invocation has been answered (the server is closing). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private enqueue(invocation: QueuedInvocation, concurrency: number): void {
    const key = invocation.endpoint.toLowerCase();
    const queue = this.queues.get(key) ?? [];
    queue.push(invocation);
    this.queues.set(key, queue);
    while ((this.running.get(key) ?? 0) < concurrency && queue.length > 0) {
      this.running.set(key, (this.running.get(key) ?? 0) + 1);
      const worker = this.drain(queue).finally(() => {
        this.running.set(key, (this.running.get(key) ?? 1) - 1);
        this.pending.delete(worker);
      });
      this.pending.add(worker);
    }
  }

  private async drain(queue: QueuedInvocation[]): Promise<void> {
    for (let next = queue.shift(); next; next = queue.shift()) await this.invoke(next);
  }

  /** One invocation, start to end: its result or its failure is written, never neither. */
  private async invoke(invocation: QueuedInvocation): Promise<void> {
    const { endpoint } = invocation;
    try {
      if (Date.now() > invocation.expiresAt) {
        await this.fail(
          invocation,
          'The request expired: it waited in the queue longer than its RequestTTLSeconds.',
        );
        return;
      }
      let body: Buffer;
      try {
        const { bucket, key } = parseS3Uri(invocation.inputLocation);
        const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        body = Buffer.from(
          await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        );
      } catch (error) {
        await this.fail(
          invocation,
          `Could not read the input ${invocation.inputLocation}: ${(error as Error).message}`,
        );
        return;
      }
      const route = await this.hosting.route(endpoint);
      if (route.kind !== 'serve') {
        await this.fail(invocation, `Endpoint ${endpoint} cannot take the request now (${route.kind}).`);
        return;
      }
      let answer: ContainerAnswer;
      try {
        answer = await callContainer(route.url, body, invocation.headers, invocation.timeoutMs);
      } catch (error) {
        this.hosting.replaceIfGone(endpoint, route.server);
        await this.fail(invocation, `The model container did not answer: ${(error as Error).message}`);
        return;
      } finally {
        route.done();
      }
      if (answer.status >= 400) {
        await this.fail(invocation, JSON.stringify(modelError(answer, endpoint, this.region)));
        return;
      }
      await this.put(invocation.outputLocation, answer.payload, answer.contentType);
    } catch (error) {
      // Writing the result failed (the output bucket is missing): say so where the failure goes.
      await this.fail(invocation, `Could not write the result: ${(error as Error).message}`).catch(
        () => undefined,
      );
    }
  }

  private fail(invocation: QueuedInvocation, reason: string): Promise<void> {
    return this.put(invocation.failureLocation, Buffer.from(reason), 'text/plain');
  }

  private async put(location: string, body: Buffer, contentType: string): Promise<void> {
    const { bucket, key } = parseS3Uri(location);
    await this.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }
}

const concurrencyOf = (config: AsyncInferenceConfig): number =>
  config.ClientConfig?.MaxConcurrentInvocationsPerInstance ?? DEFAULT_CONCURRENCY;
