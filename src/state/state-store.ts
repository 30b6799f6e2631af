// Reads and writes .pipeline/state.json. Writes are atomic and keep the previous state as
// state.json.bak; a state file that cannot be read is an error that names that backup.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyState, type PipelineState, STATE_VERSION } from './pipeline-state.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface CorruptState {
  file: string;
  backup: string;
  detail: string;
}

export type ReadStateResult = { ok: true; value: PipelineState } | { ok: false; error: CorruptState };

export const stateFile = (stateDir: string): string => join(stateDir, 'state.json');
const backupFile = (stateDir: string): string => join(stateDir, 'state.json.bak');

export async function readState(stateDir: string, pipeline: string): Promise<ReadStateResult> {
  const file = stateFile(stateDir);
  const corrupt = (detail: string): ReadStateResult => ({
    ok: false,
    error: { file, backup: backupFile(stateDir), detail },
  });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: emptyState(pipeline) };
    return corrupt((error as Error).message);
  }
  let state: PipelineState;
  try {
    state = JSON.parse(text) as PipelineState;
  } catch (error) {
    return corrupt((error as Error).message);
  }
  if (
    state === null ||
    typeof state !== 'object' ||
    typeof state.stages !== 'object' ||
    state.stages === null
  ) {
    return corrupt('it does not hold a pipeline state');
  }
  if (state.version !== STATE_VERSION) {
    return corrupt(
      `it is state version ${String(state.version)}; this pipeline reads version ${STATE_VERSION}`,
    );
  }
  return { ok: true, value: state };
}

export async function writeState(stateDir: string, state: PipelineState): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const file = stateFile(stateDir);
  try {
    await copyFile(file, backupFile(stateDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  state.updatedAt = new Date().toISOString();
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}
