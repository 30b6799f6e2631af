// A tiny AWS JSON 1.1 protocol server: `POST /` with `X-Amz-Target: Prefix.Operation` and a JSON
// body, answered with JSON or an error typed by `__type`. Several services (SageMaker, CloudWatch
// Logs, ECR) share one port, told apart by their target prefix; other paths go to `fallback`.
// Every request must be signed (SigV4) with a key pair the server was given, and is checked
// against the service's AWS model before its handler runs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { requestViolations, type ServiceModel, validationMessage } from '../../shared/service-model.js';
import { AwsError } from './aws-error.js';
import { type HonouredMembers, unhonouredMembers, unhonouredMessage } from './honoured-members.js';
import { type AccessKey, jsonAuthError, verifySigV4 } from './sigv4.js';

export interface Operation {
  (input: Record<string, unknown>): Promise<unknown> | unknown;
  /** The members of its input it honours (honoured-members.ts); a request with another is refused. */
  honoured?: readonly string[];
}

/** A service's handlers typed by the wire types its model generates (generated/*-wire.ts). */
export type Handlers<Ops> = {
  [Name in keyof Ops]?: Ops[Name] extends { input: infer In; output: infer Out }
    ? (input: In) => Promise<Out> | Out
    : never;
};

/**
 * Typed handlers as the server calls them, each with the members of its input it honours. The
 * one place a request body is taken for its wire type: the server has checked it against the
 * operation's input shape in AWS's model, and refused what the handler does not honour, first.
 */
export function handlers<Ops>(
  typed: Handlers<Ops>,
  honoured: HonouredMembers<Ops>,
): Record<string, Operation> {
  const table: Record<string, Operation> = {};
  for (const [name, handler] of Object.entries(typed as Record<string, Operation>)) {
    const members = (honoured as Record<string, readonly string[] | undefined>)[name];
    if (!members) throw new Error(`${name} names no honoured members`);
    table[name] = Object.assign((input: Record<string, unknown>) => handler(input), { honoured: members });
  }
  return table;
}

export interface JsonService {
  /** What users call it in messages: "the local SageMaker". */
  title: string;
  /** AWS's model of the service: its target prefix, and the input shape each request must fit. */
  model: ServiceModel;
  operations: Record<string, Operation>;
  /**
   * The exception a request that breaks the model's constraints gets: SageMaker's is
   * ValidationException, CloudWatch Logs and ECR answer InvalidParameterException.
   */
  invalidRequest: 'ValidationException' | 'InvalidParameterException';
}

/** A route beside the JSON services (the runtime's invocations), given the request's body. */
export type Fallback = (request: IncomingMessage, response: ServerResponse, body: Buffer) => Promise<boolean>;

export interface JsonServerOptions {
  /** The key pairs a request must be signed with (SigV4). */
  keys: readonly AccessKey[];
  /** Answered before authentication (the daemon's identity check); true when it answered. */
  open?: (request: IncomingMessage, response: ServerResponse) => boolean;
  fallback?: Fallback;
}

const MAX_REQUEST = 16 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST) {
        reject(new AwsError('ValidationException', 'request too large', 413));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body ?? {});
  response.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': crypto.randomUUID(),
    ...headers,
  });
  response.end(text);
}

export function sendError(response: ServerResponse, error: unknown): void {
  const aws =
    error instanceof AwsError
      ? error
      : new AwsError('InternalFailure', `internal error: ${(error as Error)?.message}`, 500);
  if (aws.status === 500)
    process.stderr.write(`local sagemaker: ${(error as Error)?.stack ?? String(error)}\n`);
  sendJson(
    response,
    aws.status,
    { __type: aws.type, message: aws.message },
    { 'x-amzn-ErrorType': aws.type },
  );
}

/** An operation the service has but this one does not implement, or one no service has. */
function unsupported(service: JsonService | undefined, prefix: string, operation: string): AwsError {
  if (service?.model.operations[operation])
    return new AwsError(
      'UnknownOperationException',
      `${operation} is not supported by ${service.title} (it implements: ${Object.keys(service.operations).sort().join(', ')})`,
    );
  return new AwsError(
    'UnknownOperationException',
    `${prefix}.${operation} is not an operation of any local service`,
  );
}

export function createJsonServer(services: readonly JsonService[], options: JsonServerOptions): Server {
  const byPrefix = new Map(services.map((service) => [service.model.metadata.targetPrefix, service]));
  const { keys, open, fallback } = options;
  return createServer((request, response) => {
    void (async () => {
      try {
        if (open?.(request, response)) return;
        const body = await readBody(request);
        const auth = verifySigV4(request, { keys, s3: false, body });
        if (!auth.ok) {
          const { type, message } = jsonAuthError(auth.failure);
          // The REST runtime answers 403, the JSON 1.1 services 400, as AWS's endpoints do.
          throw new AwsError(type, message, request.headers['x-amz-target'] ? 400 : 403);
        }
        const target = request.headers['x-amz-target'];
        if (request.method === 'POST' && typeof target === 'string') {
          const [prefix = '', operation = ''] = target.split('.');
          const service = byPrefix.get(prefix);
          const handler = service?.operations[operation];
          if (!service || !handler) throw unsupported(service, prefix, operation);
          let input: Record<string, unknown>;
          try {
            input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
          } catch {
            throw new AwsError('SerializationException', 'the request body is not valid JSON');
          }
          const { unreadable, violations } = requestViolations(service.model, operation, input);
          if (unreadable) throw new AwsError('SerializationException', unreadable);
          if (violations.length > 0)
            throw new AwsError(service.invalidRequest, validationMessage(violations));
          // Nothing is accepted and then ignored: an operation without a list honours nothing.
          const refused = unhonouredMembers(input, handler.honoured ?? []);
          if (refused.length > 0)
            throw new AwsError(service.invalidRequest, unhonouredMessage(refused, service.title));
          sendJson(response, 200, await handler(input));
          return;
        }
        if (fallback && (await fallback(request, response, body))) return;
        sendJson(response, 404, {
          __type: 'UnknownOperationException',
          message: `no route for ${request.method} ${request.url}`,
        });
      } catch (error) {
        if (!response.headersSent) sendError(response, error);
      }
    })();
  });
}
