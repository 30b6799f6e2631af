// The runtime API's InvokeEndpoint (`POST /endpoints/NAME/invocations`), as SageMaker's runtime
// answers it: the body (at most 6 MiB), Content-Type, Accept and CustomAttributes pass through to
// the serving container of the variant chosen by weight (or named by TargetVariant), which the
// answer names; an error from the container comes back as ModelError (424) with its original
// status and message.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hosting } from './hosting.js';

export const MAX_INVOKE_BYTES = 6 * 1024 * 1024;
const CUSTOM_ATTRIBUTES = 'x-amzn-sagemaker-custom-attributes';
const TARGET_VARIANT = 'x-amzn-sagemaker-target-variant';

function sendRuntimeError(
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

async function readLimited(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_INVOKE_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Handles the request if it is an invocation; false otherwise. */
export function invokeEndpointRoute(hosting: Hosting, region: string) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const match = (request.url ?? '').match(/^\/endpoints\/([^/?]+)\/invocations(\?.*)?$/);
    if (request.method !== 'POST' || !match) return false;
    const name = decodeURIComponent(match[1] as string);
    const target = request.headers[TARGET_VARIANT];
    const route = await hosting.route(name, typeof target === 'string' ? target : undefined);
    if (route.kind === 'missing') {
      sendRuntimeError(response, 400, 'ValidationError', {
        message: `Endpoint ${name} of account 000000000000 not found.`,
      });
      return true;
    }
    if (route.kind === 'not-in-service') {
      sendRuntimeError(response, 400, 'ValidationError', {
        message: `Endpoint ${name} is not in service (${route.status}).`,
      });
      return true;
    }
    if (route.kind === 'unknown-variant') {
      sendRuntimeError(response, 400, 'ValidationError', {
        message: `The variant "${String(target)}" does not exist in endpoint ${name}: its variants are ${route.variants.join(', ')}.`,
      });
      return true;
    }
    const url = route.url;
    const body = await readLimited(request);
    if (!body) {
      sendRuntimeError(response, 413, 'ValidationError', {
        message: `Request body exceeds the ${MAX_INVOKE_BYTES} byte limit`,
      });
      return true;
    }
    const headers: Record<string, string> = {};
    for (const header of ['content-type', 'accept', CUSTOM_ATTRIBUTES]) {
      const value = request.headers[header];
      if (typeof value === 'string') headers[header] = value;
    }
    let answer: Response;
    try {
      answer = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      // A server that is gone is replaced, as SageMaker replaces an unhealthy instance.
      hosting.replaceIfGone(name, route.variant);
      sendRuntimeError(response, 503, 'ServiceUnavailable', {
        message: `the model container did not answer: ${(error as Error).message}`,
      });
      return true;
    }
    const payload = Buffer.from(await answer.arrayBuffer());
    if (answer.status >= 400) {
      const original = payload.toString('utf8').trim();
      sendRuntimeError(response, 424, 'ModelError', {
        ErrorCode: answer.status >= 500 ? 'SERVER_ERROR_FROM_MODEL' : 'CLIENT_ERROR_FROM_MODEL',
        OriginalStatusCode: answer.status,
        OriginalMessage: original,
        Message: `Received ${answer.status >= 500 ? 'server' : 'client'} error (${answer.status}) from primary with message "${original}".`,
        LogStreamArn: `arn:aws:logs:${region}:000000000000:log-group:/aws/sagemaker/Endpoints/${name}`,
      });
      return true;
    }
    const out: Record<string, string | number> = {
      'Content-Type': answer.headers.get('content-type') ?? 'application/octet-stream',
      'Content-Length': payload.length,
      'x-Amzn-Invoked-Production-Variant': route.variant,
    };
    const attributes = answer.headers.get(CUSTOM_ATTRIBUTES);
    if (attributes) out['X-Amzn-SageMaker-Custom-Attributes'] = attributes;
    response.writeHead(200, out);
    response.end(payload);
    return true;
  };
}
