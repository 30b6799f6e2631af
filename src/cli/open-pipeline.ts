// What every command starts with: the config loaded and checked, and the state read.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type ConfigErrors, type LoadedConfig, loadConfig } from '../engine/config/load-config.js';
import { stageConfigDiagnostics } from '../engine/plan/check-stage-config.js';
import { FileHasher } from '../engine/plan/file-hasher.js';
import { loadSecretKey, SecretDigester } from '../engine/plan/secret-digest.js';
import type { Stage } from '../engine/stage.js';
import type { PipelineState } from '../engine/state/pipeline-state.js';
import type { StateBackend } from '../engine/state/state-backend.js';
import { readState } from '../engine/state/state-store.js';
import { pipelinePaths, stateDirIn } from '../shared/pipeline-paths.js';
import type { Result } from '../shared/result.js';
import type { CliFailure } from './cli-failure.js';
import type { CliIo, CommonOptions } from './cli-io.js';
import { pullState, stateBackendOf } from './state-backend-of.js';

export interface OpenPipeline {
  loaded: LoadedConfig;
  stateDir: string;
  /** Where the state truly lives; stateDir is its working copy, pulled before the state was read. */
  backend: StateBackend;
  state: PipelineState;
  hasher: FileHasher;
  secrets: SecretDigester;
}

export type OpenResult = Result<OpenPipeline, CliFailure>;

/** `.pipeline/` beside pipeline.yaml: state, lock, run records. */
export const stateDirOf = (loaded: LoadedConfig): string => stateDirIn(loaded.projectDir);
/** `.pipeline/cache/`: what can be worked out again, kept to save the work. */

const cacheFile = pipelinePaths.cache;

export function loadForCommand(options: CommonOptions, io: CliIo, onlyWhereSettings = false) {
  return loadConfig({
    onlyWhereSettings,
    file: options.file,
    parseCacheFile: cacheFile(stateDirIn(dirname(resolve(options.file))), 'parsed-config.v8'),
    ...(options.env !== undefined ? { environment: options.env } : {}),
    sets: options.profile ? [...options.set, `aws.profile=${options.profile}`] : options.set,
    env: io.env,
    ...(io.cwd !== undefined ? { cwd: io.cwd } : {}),
  });
}

/**
 * The stages' own checks of a loaded config (what their services would refuse), as config
 * errors with the source text they point into; undefined when there are none.
 */
export async function stageConfigErrors(
  stages: readonly Stage[],
  loaded: LoadedConfig,
  io: CliIo,
  only?: ReadonlySet<string>,
): Promise<ConfigErrors | undefined> {
  const diagnostics = await stageConfigDiagnostics(stages, loaded, only);
  if (diagnostics.length === 0) return undefined;
  const sources = new Map<string, string>();
  for (const { location } of diagnostics) {
    if (location?.kind !== 'file' || sources.has(location.file)) continue;
    const text = await readFile(resolve(io.cwd ?? process.cwd(), location.file), 'utf8').catch(
      () => undefined,
    );
    if (text !== undefined) sources.set(location.file, text);
  }
  return { diagnostics, sources };
}

/**
 * `createSecretKey`: a command that records fingerprints (run) keeps the key that digests
 * secrets; the others use it if it is there. `onlyWhereSettings`: see LoadOptions.
 */
export async function openPipeline(
  options: CommonOptions,
  io: CliIo,
  { createSecretKey = false, onlyWhereSettings = false } = {},
): Promise<OpenResult> {
  const loaded = await loadForCommand(options, io, onlyWhereSettings);
  if (!loaded.ok) return { ok: false, error: { reason: 'config', errors: loaded.error } };
  const stateDir = stateDirOf(loaded.value);
  const backend = await stateBackendOf(loaded.value.config, stateDir);
  await pullState(backend, io.stderr);
  const state = await readState(stateDir, loaded.value.config.name);
  if (!state.ok)
    return {
      ok: false,
      error: { reason: 'corrupt-state', state: await backend.describeDamage(state.error) },
    };
  const hasher = await FileHasher.open(cacheFile(stateDir, 'file-hashes.json'));
  const key = await loadSecretKey(stateDir, { create: createSecretKey });
  const secrets = new SecretDigester(key, loaded.value.secrets);
  return {
    ok: true,
    value: { loaded: loaded.value, stateDir, backend, state: state.value, hasher, secrets },
  };
}
