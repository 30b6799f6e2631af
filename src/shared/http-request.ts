// One small HTTP request to a loopback service with node:http. Where a command makes only a few
// calls (the drift checks of a no-op run, asking the local daemon who it is), this costs nothing
// to load, whereas the first `fetch` of a process loads undici: about 70 ms on this project's
// machine, a quarter of a no-op run.
import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const call = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: {
          ...options.headers,
          ...(options.body !== undefined ? { 'Content-Length': Buffer.byteLength(options.body) } : {}),
        },
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    call.on('timeout', () => call.destroy(new Error(`no answer from ${url} within ${options.timeoutMs} ms`)));
    call.on('error', reject);
    call.end(options.body);
  });
}
