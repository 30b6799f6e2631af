// The endpoints' model servers' output as CloudWatch Logs streams.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { logFileLines } from '../../runtimes/log-file-lines.js';
import { runtimeOfServer } from '../../runtimes/select-runtime.js';
import { endpointLogGroup, type LogStream } from '../logs/logs.js';
import type { Endpoint } from './hosting-resources.js';
import { instanceLogFile } from './variant-servers.js';

/**
 * The endpoints' logs, as CloudWatch Logs keeps them: group /aws/sagemaker/Endpoints/NAME, one
 * stream per instance of each variant of the deployment in service (VARIANT/i-ID), its lines what
 * the server wrote: a container's from docker's log, with each line's time; a process's from its
 * log file. A serverless variant not started yet has its one stream, empty.
 */
export async function endpointLogStreams(endpoints: readonly Endpoint[]): Promise<LogStream[]> {
  const streams: LogStream[] = [];
  for (const endpoint of endpoints) {
    for (const variant of endpoint.deployment?.variants ?? []) {
      const slots = Math.max(1, variant.servers.length);
      for (let slot = 0; slot < slots; slot++) {
        const file = instanceLogFile(variant, slot);
        const server = variant.servers[slot];
        // The first instance's id is the variant folder's alone, as before there were several.
        const id = createHash('sha256')
          .update(slot === 0 ? variant.dir : `${variant.dir}\0${slot}`)
          .digest('hex')
          .slice(0, 17);
        streams.push({
          group: endpointLogGroup(endpoint.EndpointName),
          name: `${variant.name}/i-${id}`,
          creationTime: Number(basename(endpoint.deployment?.dir ?? '')) || endpoint.CreationTime * 1000,
          events: () => (server ? runtimeOfServer(server).serverOutput(server, file) : logFileLines(file)),
        });
      }
    }
  }
  return streams;
}
