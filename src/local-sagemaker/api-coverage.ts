// The API coverage table of the local services, made from what the code registers and AWS's
// models of the services, so that the README cannot claim more (or less) than the server answers.
// A test compares the README's table with this one.

import type { ServiceModel } from '../shared/service-model.js';
import type { JsonService } from './protocol/json-service.js';
import { ASYNC_INVOKE_OPERATION } from './runtime/async-inference.js';
import { INVOKE_OPERATION } from './runtime/invoke-endpoint.js';

/** One service's row: the operations implemented, out of the model's. */
function row(name: string, model: ServiceModel, implemented: readonly string[]): string {
  const all = Object.keys(model.operations);
  const known = implemented.filter((operation) => all.includes(operation)).sort();
  return `| ${name} | ${known.length} of ${all.length} | ${known.join(', ')} |`;
}

/**
 * The table as markdown. `runtime` is the SageMaker runtime's model: its operations are served
 * over REST (`POST /endpoints/NAME/invocations`, `/async-invocations`), not through a JSON service.
 */
export function coverageTable(services: readonly JsonService[], runtime: ServiceModel): string {
  return [
    '| service | operations implemented | which |',
    '|---|---|---|',
    ...services.map((service) =>
      row(service.model.metadata.serviceId, service.model, Object.keys(service.operations)),
    ),
    row(runtime.metadata.serviceId, runtime, [INVOKE_OPERATION, ASYNC_INVOKE_OPERATION]),
  ].join('\n');
}
