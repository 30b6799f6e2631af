// What every command starts with: the config loaded and checked, and the state read.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { userStage } from '../../stages/index.js';
import { type ConfigErrors, type LoadedConfig, loadConfig } from '../engine/config/load-config.js';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { checkStageGraph } from '../engine/graph/check-graph.js';
import { composeStages } from '../engine/graph/compose-stages.js';
import { type BuiltInFacts, resolveChannelPaths } from '../engine/graph/stage-graph.js';
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
  /** With each data channel that reads a user stage's out given that out's local path. */
  loaded: LoadedConfig;
  /** The built-in stages with the user's own (pipeline.yaml's `stages:`), in the order they are planned. */
  stages: readonly Stage[];
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

/** What the config check needs to know of the built-in stages (their names, needs and outs). */
export const builtInFacts = (stages: readonly Stage[]): BuiltInFacts[] =>
  stages.map((stage) => ({
    name: stage.name,
    needs: stage.needs,
    outNames: Object.keys(stage.outs ?? {}),
    ...(stage.disabled ? { disabled: (config: PipelineConfig) => stage.disabled?.(config) } : {}),
  }));

/** Loads the config; given the built-in stages, its graph of stages is checked against them. */
export function loadForCommand(
  options: CommonOptions,
  io: CliIo,
  onlyWhereSettings = false,
  stages?: readonly Stage[],
) {
  return loadConfig({
    ...(stages
      ? {
          extraChecks: (config: PipelineConfig, projectDir: string) =>
            checkStageGraph(config, projectDir, builtInFacts(stages)),
        }
      : {}),
    onlyWhereSettings,
    file: options.file,
    parseCacheFile: cacheFile(stateDirIn(dirname(resolve(options.file))), 'parsed-config.v8'),
    schemaCacheFile: cacheFile(stateDirIn(dirname(resolve(options.file))), 'checked-config.v8'),
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
  builtIns: readonly Stage[],
  { createSecretKey = false, onlyWhereSettings = false } = {},
): Promise<OpenResult> {
  // A command that only needs to know where the resources are (destroy) is not stopped by a
  // broken graph of stages, and runs none of them.
  const checked = await loadForCommand(
    options,
    io,
    onlyWhereSettings,
    onlyWhereSettings ? undefined : builtIns,
  );
  if (!checked.ok) return { ok: false, error: { reason: 'config', errors: checked.error } };
  const loaded = {
    ok: true as const,
    value: { ...checked.value, config: resolveChannelPaths(checked.value.config) },
  };
  const stages = onlyWhereSettings
    ? builtIns
    : composeStages(builtIns, loaded.value.config, userStage(builtIns));
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
    value: { loaded: loaded.value, stages, stateDir, backend, state: state.value, hasher, secrets },
  };
}
