// The state backend a config names. The S3 one (and the AWS SDK it needs) is loaded only when
// it is used, so commands on the local folder start as fast as before.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { localBackend } from '../engine/state/local-backend.js';
import type { StateBackend } from '../engine/state/state-backend.js';

export async function stateBackendOf(config: PipelineConfig, stateDir: string): Promise<StateBackend> {
  if (config.state.backend !== 's3') return localBackend(stateDir);
  const { openS3StateBackend } = await import('../sagemaker/s3-state-connection.js');
  return openS3StateBackend(config, stateDir);
}

/** Pulls the shared state and says on stderr which keys were refused, one line each. */
export async function pullState(backend: StateBackend, stderr: NodeJS.WritableStream): Promise<void> {
  for (const warning of await backend.pull()) stderr.write(`warning: ${warning}\n`);
}
