// The runtime API's InvokeEndpoint (`POST /endpoints/NAME/invocations`), as SageMaker's runtime
// answers it: the body (at most 6 MiB), Content-Type, Accept and CustomAttributes pass through to
// the serving container of the variant chosen by weight (or named by TargetVariant), which the
// answer names; an error from the container comes back as ModelError (424) with its original
// status and message. An endpoint configured for asynchronous inference takes only
// InvokeEndpointAsync (async-inference.ts); a serverless variant beyond its MaxConcurrency
// answers ThrottlingException.
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { httpRequest } from '../../shared/http-request.js';
import type { Hosting, Route } from '../sagemaker/hosting.js';

/** The runtime operation this route serves (the API coverage table lists it). */
export const INVOKE_OPERATION = 'InvokeEndpoint';
export const MAX_INVOKE_BYTES = 6 * 1024 * 1024;
export const CUSTOM_ATTRIBUTES = 'x-amzn-sagemaker-custom-attributes';
const TARGET_VARIANT = 'x-amzn-sagemaker-target-variant';

/** A request header's value, when it was sent once. */
export const headerOf = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

export function sendRuntimeError(
  response: ServerResponse,
  status: number,
  type: string,
  body: Record<string, unknown>,
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-ErrorType': type,
  });
  response.end(text);
}

/** Answers a route that has no server to send to; true when it did. */
export function sendRouteError(
  response: ServerResponse,
  name: string,
  route: Route,
  target?: string,
): boolean {
  switch (route.kind) {
    case 'serve':
      return false;
    case 'missing':
      sendRuntimeError(response, 400, 'ValidationError', {
        message: `Endpoint ${name} of account 000000000000 not found.`,
      });
      return true;
    case 'not-in-service':
      sendRuntimeError(response, 400, 'ValidationError', {
        message: `Endpoint ${name} is not in service (${route.status}).`,
      });
      return true;
    case 'unknown-variant':
      sendRuntimeError(response, 400, 'ValidationError', {
        message: `The variant "${String(target)}" does not exist in endpoint ${name}: its variants are ${route.variants.join(', ')}.`,
      });
      return true;
    case 'throttled':
      sendRuntimeError(response, 429, 'ThrottlingException', {
        message: `Rate exceeded: the serverless endpoint ${name} is already serving its MaxConcurrency of ${route.maxConcurrency} requests.`,
      });
      return true;
    case 'cold-start-failed':
      sendRuntimeError(response, 503, 'ServiceUnavailable', {
        message: `The serverless endpoint ${name} could not start its container: ${route.reason}`,
      });
      return true;
  }
}

/** What a serving container answered to POST /invocations. */
export interface ContainerAnswer {
  status: number;
  payload: Buffer;
  contentType: string;
  customAttributes?: string;
}

/**
 * Connections to serving containers, kept open between invocations. Sent with fetch (WHATWG
 * streams and headers, a timer signal, undici's own pool), the invoke benchmark's path through
 * the endpoint ran at 0.64x the model server called directly; with node:http over kept
 * connections, 0.76-0.78x (BENCHMARKS.md, "Invoke").
 */
const containerAgent = new Agent({ keepAlive: true, maxSockets: 256 });

/** Sends one request to a container's /invocations; rejects when it does not answer in time. */
export async function callContainer(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<ContainerAnswer> {
  const answer = await httpRequest(`${url}/invocations`, {
    method: 'POST',
    headers,
    body,
    agent: containerAgent,
    deadlineMs: timeoutMs,
  });
  const attributes = answer.headers[CUSTOM_ATTRIBUTES];
  const contentType = answer.headers['content-type'];
  return {
    status: answer.status,
    payload: answer.body,
    contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
    ...(typeof attributes === 'string' ? { customAttributes: attributes } : {}),
  };
}

/** SageMaker's ModelError for a container that answered 4xx or 5xx. */
export function modelError(answer: ContainerAnswer, name: string, region: string): Record<string, unknown> {
  const original = answer.payload.toString('utf8').trim();
  const side = answer.status >= 500 ? 'server' : 'client';
  return {
    ErrorCode: answer.status >= 500 ? 'SERVER_ERROR_FROM_MODEL' : 'CLIENT_ERROR_FROM_MODEL',
    OriginalStatusCode: answer.status,
    OriginalMessage: original,
    Message: `Received ${side} error (${answer.status}) from primary with message "${original}".`,
    LogStreamArn: `arn:aws:logs:${region}:000000000000:log-group:/aws/sagemaker/Endpoints/${name}`,
  };
}

/** Handles the request if it is an invocation; false otherwise. */
export function invokeEndpointRoute(hosting: Hosting, region: string) {
  return async (request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<boolean> => {
    const match = (request.url ?? '').match(/^\/endpoints\/([^/?]+)\/invocations(\?.*)?$/);
    if (request.method !== 'POST' || !match) return false;
    const name = decodeURIComponent(match[1] as string);
    const targetVariant = headerOf(request, TARGET_VARIANT);
    const route = await hosting.route(name, targetVariant);
    if (sendRouteError(response, name, route, targetVariant) || route.kind !== 'serve') return true;
    try {
      if (route.asyncInference) {
        sendRuntimeError(response, 400, 'ValidationError', {
          message: `Endpoint ${name} is configured for asynchronous inference: send its requests with InvokeEndpointAsync.`,
        });
        return true;
      }
      if (body.length > MAX_INVOKE_BYTES) {
        sendRuntimeError(response, 413, 'ValidationError', {
          message: `Request body exceeds the ${MAX_INVOKE_BYTES} byte limit`,
        });
        return true;
      }
      const headers: Record<string, string> = {};
      for (const header of ['content-type', 'accept', CUSTOM_ATTRIBUTES]) {
        const value = headerOf(request, header);
        if (value !== undefined) headers[header] = value;
      }
      let answer: ContainerAnswer;
      try {
        answer = await callContainer(route.url, body, headers, 60_000);
      } catch (error) {
        // A server that is gone is replaced, as SageMaker replaces an unhealthy instance.
        hosting.replaceIfGone(name, route.server);
        sendRuntimeError(response, 503, 'ServiceUnavailable', {
          message: `the model container did not answer: ${(error as Error).message}`,
        });
        return true;
      }
      if (answer.status >= 400) {
        sendRuntimeError(response, 424, 'ModelError', modelError(answer, name, region));
        return true;
      }
      const out: Record<string, string | number> = {
        'Content-Type': answer.contentType,
        'Content-Length': answer.payload.length,
        'x-Amzn-Invoked-Production-Variant': route.variant,
      };
      if (answer.customAttributes) out['X-Amzn-SageMaker-Custom-Attributes'] = answer.customAttributes;
      response.writeHead(200, out);
      response.end(answer.payload);
      return true;
    } finally {
      route.done();
    }
  };
}
