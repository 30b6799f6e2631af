// What every command starts with: the config loaded and checked, and the state read.
import { join } from 'node:path';
import { type LoadedConfig, loadConfig } from '../config/load-config.js';
import { FileHasher } from '../plan/file-hasher.js';
import type { PipelineState } from '../state/pipeline-state.js';
import { readState } from '../state/state-store.js';
import type { CliFailure } from './cli-failure.js';
import type { CliIo, CommonOptions } from './cli-io.js';

export interface OpenPipeline {
  loaded: LoadedConfig;
  stateDir: string;
  state: PipelineState;
  hasher: FileHasher;
}

export type OpenResult = { ok: true; value: OpenPipeline } | { ok: false; error: CliFailure };

/** `.pipeline/` beside pipeline.yaml: state, lock, run records. */
export const stateDirIn = (projectDir: string): string => join(projectDir, '.pipeline');
export const stateDirOf = (loaded: LoadedConfig): string => stateDirIn(loaded.projectDir);

export function loadForCommand(options: CommonOptions, io: CliIo) {
  return loadConfig({
    file: options.file,
    ...(options.env !== undefined ? { environment: options.env } : {}),
    sets: options.profile ? [...options.set, `aws.profile=${options.profile}`] : options.set,
    env: io.env,
  });
}

export async function openPipeline(options: CommonOptions, io: CliIo): Promise<OpenResult> {
  const loaded = await loadForCommand(options, io);
  if (!loaded.ok) return { ok: false, error: { reason: 'config', errors: loaded.error } };
  const stateDir = stateDirOf(loaded.value);
  const state = await readState(stateDir, loaded.value.config.name);
  if (!state.ok) return { ok: false, error: { reason: 'corrupt-state', state: state.error } };
  const hasher = await FileHasher.open(join(stateDir, 'cache', 'file-hashes.json'));
  return { ok: true, value: { loaded: loaded.value, stateDir, state: state.value, hasher } };
}
