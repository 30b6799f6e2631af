// One HTTP request to a loopback service with node:http. Where a command makes only a few
// calls (the drift checks of a no-op run, asking the local daemon who it is), this costs nothing
// to load, whereas the first `fetch` of a process loads undici: about 70 ms on this project's
// machine, a quarter of a no-op run. Where a server makes many (the local SageMaker sending
// invocations to a model's container), it is a fraction of fetch's cost per request. An https://
// URL (a shared local SageMaker behind TLS) loads node:https then, and only then.
import { type Agent, request as httpOnlyRequest } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body as UTF-8. */
  readonly text: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Give up when no byte comes for this long (the socket's idle timeout). */
  timeoutMs?: number;
  /** Give up when the whole answer has not come within this long. */
  deadlineMs?: number;
  /** Connections to keep and reuse (node's default agent when not given). */
  agent?: Agent;
}

export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:')
      ? process.getBuiltinModule('node:https').request
      : httpOnlyRequest;
    const send = (retried: boolean) => {
      const call = request(url, {
        method: options.method ?? 'GET',
        headers: {
          ...options.headers,
          ...(options.body !== undefined ? { 'Content-Length': Buffer.byteLength(options.body) } : {}),
        },
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
        ...(options.agent ? { agent: options.agent } : {}),
      });
      const { deadlineMs } = options;
      const deadline =
        deadlineMs === undefined
          ? undefined
          : setTimeout(() => call.destroy(new Error(`no answer within ${deadlineMs / 1000} s`)), deadlineMs);
      const fail = (error: Error) => {
        clearTimeout(deadline);
        reject(error);
      };
      call.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(deadline);
          const body = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            get text() {
              return body.toString('utf8');
            },
          });
        });
        response.on('error', fail);
      });
      call.on('timeout', () =>
        call.destroy(new Error(`no answer from ${url} within ${options.timeoutMs} ms`)),
      );
      call.on('error', (error: NodeJS.ErrnoException) => {
        // A kept connection the server closed just as it was reused: sent again on a new one, once.
        if (call.reusedSocket && error.code === 'ECONNRESET' && !retried) {
          clearTimeout(deadline);
          send(true);
        } else fail(error);
      });
      call.end(options.body);
    };
    send(false);
  });
}
