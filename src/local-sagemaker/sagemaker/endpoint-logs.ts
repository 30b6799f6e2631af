// The endpoints' model servers' output as CloudWatch Logs streams.
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { logFileLines } from '../../runtimes/log-file-lines.js';
import { runtimeOfServer } from '../../runtimes/select-runtime.js';
import { endpointLogGroup, type LogStream } from '../logs/logs.js';
import type { Endpoint } from './hosting-resources.js';

/**
 * The endpoints' logs, as CloudWatch Logs keeps them: group /aws/sagemaker/Endpoints/NAME, one
 * stream per variant of the deployment in service, its lines what the server wrote: a container's
 * from docker's log, with each line's time; a process's from its log file.
 */
export async function endpointLogStreams(endpoints: readonly Endpoint[]): Promise<LogStream[]> {
  const streams: LogStream[] = [];
  for (const endpoint of endpoints) {
    for (const variant of endpoint.deployment?.variants ?? []) {
      const file = join(variant.dir, 'serve.log');
      const server = variant.server;
      streams.push({
        group: endpointLogGroup(endpoint.EndpointName),
        name: `${variant.name}/i-${createHash('sha256').update(variant.dir).digest('hex').slice(0, 17)}`,
        creationTime: Number(basename(endpoint.deployment?.dir ?? '')) || endpoint.CreationTime * 1000,
        events: () => (server ? runtimeOfServer(server).serverOutput(server, file) : logFileLines(file)),
      });
    }
  }
  return streams;
}
