// The state backend a config names. The S3 one (and the AWS SDK it needs) is loaded only when
// it is used, so commands on the local folder start as fast as before.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { localBackend } from '../engine/state/local-backend.js';
import type { StateBackend } from '../engine/state/state-backend.js';
import type { CorruptState } from '../engine/state/state-store.js';

export async function stateBackendOf(config: PipelineConfig, stateDir: string): Promise<StateBackend> {
  if (config.state.backend !== 's3') return localBackend(stateDir);
  const { openS3StateBackend } = await import('../sagemaker/s3-state-connection.js');
  return openS3StateBackend(config, stateDir);
}

/** Pulls the shared state and says on stderr which keys were refused, one line each. */
export async function pullState(backend: StateBackend, stderr: NodeJS.WritableStream): Promise<void> {
  for (const warning of await backend.pull()) stderr.write(`warning: ${warning}\n`);
}

/**
 * A damaged state file, said to be the shared one when it is as the S3 backend pulled it (a damage
 * of the working copy alone is mended by deleting it: the next command pulls the shared one).
 */
export async function damagedState(backend: StateBackend, state: CorruptState): Promise<CorruptState> {
  if (!backend.location.startsWith('s3://')) return state;
  const synced = 'isSyncedCopy' in backend && (await (backend as S3Like).isSyncedCopy('state.json'));
  return { ...state, shared: `${backend.location}state.json`, changedHere: !synced };
}

interface S3Like {
  isSyncedCopy(path: string): Promise<boolean>;
}
