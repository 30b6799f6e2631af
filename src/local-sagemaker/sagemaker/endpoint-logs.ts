// The endpoints' model servers' output as CloudWatch Logs streams.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { endpointLogGroup, type LogStream } from '../logs/logs.js';
import type { Endpoint } from './hosting-resources.js';

/**
 * The endpoints' logs, as CloudWatch Logs keeps them: group /aws/sagemaker/Endpoints/NAME, one
 * stream per variant of the deployment in service, its lines from the server's output. The
 * servers write plain lines, so every line carries the time the log was last written.
 */
export async function endpointLogStreams(endpoints: readonly Endpoint[]): Promise<LogStream[]> {
  const streams: LogStream[] = [];
  for (const endpoint of endpoints) {
    for (const variant of endpoint.deployment?.variants ?? []) {
      const file = join(variant.dir, 'serve.log');
      const started = Number(basename(endpoint.deployment?.dir ?? '')) || endpoint.CreationTime * 1000;
      streams.push({
        group: endpointLogGroup(endpoint.EndpointName),
        name: `${variant.name}/i-${createHash('sha256').update(variant.dir).digest('hex').slice(0, 17)}`,
        creationTime: started,
        events: async () => {
          const [text, written] = await Promise.all([
            readFile(file, 'utf8').catch(() => ''),
            stat(file).then(
              (info) => Math.floor(info.mtimeMs),
              () => started,
            ),
          ]);
          return text
            .split('\n')
            .filter((line) => line.length > 0)
            .map((message) => ({ timestamp: written, message }));
        },
      });
    }
  }
  return streams;
}
