// Reads and writes .pipeline/state.json. Writes are atomic and keep the previous state as
// state.json.bak; a state file that cannot be read is an error that names that backup.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import type { Result } from '../../shared/result.js';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import { emptyState, type PipelineState, STATE_VERSION } from './pipeline-state.js';
import { stateProblem } from './state-file-shape.js';

export interface CorruptState {
  file: string;
  /** A backup to restore, named only when there is one and it is itself a valid state. */
  backup?: string;
  detail: string;
  /** Where the file came from when it is a working copy of a shared state (s3://…/state.json). */
  shared?: string;
  /** The working copy was changed here since it was pulled: the damage is this folder's alone. */
  changedHere?: boolean;
}

export type ReadStateResult = Result<PipelineState, CorruptState>;

export const stateFile = pipelinePaths.state;
const backupFile = pipelinePaths.stateBackup;

type Parsed = { ok: true; value: PipelineState } | { ok: false; detail: string } | { ok: 'missing' };

async function parseStateFile(file: string): Promise<Parsed> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: 'missing' };
    if (code === 'EISDIR') return { ok: false, detail: 'it is a folder, not a file' };
    return { ok: false, detail: (error as Error).message };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, detail: text.trim() === '' ? 'it is empty' : (error as Error).message };
  }
  const version = (value as { version?: unknown } | null)?.version;
  if (value !== null && typeof value === 'object' && version !== undefined && version !== STATE_VERSION) {
    return {
      ok: false,
      detail: `it is state version ${String(version)}; this pipeline reads version ${STATE_VERSION}`,
    };
  }
  const problem = stateProblem(value);
  return problem ? { ok: false, detail: problem } : { ok: true, value: value as PipelineState };
}

/**
 * The state, or why it cannot be used. A missing file is a new pipeline; a damaged one is never
 * taken for empty (that would re-run and re-deploy everything over resources that exist).
 */
export async function readState(stateDir: string, pipeline: string): Promise<ReadStateResult> {
  const file = stateFile(stateDir);
  const parsed = await parseStateFile(file);
  if (parsed.ok === 'missing') return { ok: true, value: emptyState(pipeline) };
  if (parsed.ok) return parsed;
  const backup = backupFile(stateDir);
  const backupUsable = (await parseStateFile(backup)).ok === true;
  return { ok: false, error: { file, ...(backupUsable ? { backup } : {}), detail: parsed.detail } };
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
