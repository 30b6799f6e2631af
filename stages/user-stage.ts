// What the two kinds of user stage (pipeline.yaml's `stages:`) share: their needs, params, and
// the outs they read. command-stage.ts runs a command on this machine, processing-stage.ts a
// SageMaker Processing job.
import type { PipelineConfig } from '../src/engine/config/pipeline-config.js';
import { configValueAt, isConfigParam } from '../src/engine/graph/check-graph.js';
import {
  formatReference,
  parseReference,
  type Reference,
  type UserStageSettings,
} from '../src/engine/graph/stage-graph.js';
import type { JsonValue, Stage, StageOutputs } from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import { StageError } from '../src/shared/errors.js';

/** One out as a user stage records it: where it is, and what it held (a hash of its files). */
export interface RecordedOut {
  /** Relative to the project folder: a command's out, or where a processing output was downloaded. */
  path?: string;
  /** A processing output's S3 prefix. */
  s3Uri?: string;
  /** A processing output's objects when its job ended: how many, and their keys' and ETags' digest. */
  objects?: number;
  remoteDigest?: string;
  hash?: string;
}

/** The recorded outs of a user stage's last success. */
export const readUserOuts = (stage: string, outputs: StageOutputs | undefined): Record<string, RecordedOut> =>
  outputReader(stage, { outs: 'object' })(outputs).outs as Record<string, RecordedOut>;

/** The params with each `{config: PATH}` replaced by that config value. */
export function resolvedParams(settings: UserStageSettings, config: PipelineConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings.params).map(([name, value]) => [
      name,
      isConfigParam(value) ? configValueAt(config, value.config) : value,
    ]),
  );
}

/**
 * Where an out of an upstream stage is: a local path (relative to the project folder) when there
 * is one, else its S3 URI. Built-in stages' outs are found by their own `outs` readers.
 */
export function locateOut(
  reference: Reference,
  upstream: Readonly<Record<string, StageOutputs>>,
  builtIns: readonly Stage[],
): { path?: string; s3Uri?: string } {
  const outputs = upstream[reference.stage];
  const builtIn = builtIns.find((stage) => stage.name === reference.stage);
  if (builtIn) {
    const path = outputs ? builtIn.outs?.[reference.out]?.(outputs) : undefined;
    if (path === undefined)
      throw new StageError(
        `${formatReference(reference)} is not recorded: run \`pipeline run --from ${reference.stage}\``,
      );
    return { path };
  }
  const out = readUserOuts(reference.stage, outputs)[reference.out];
  if (!out || (out.path === undefined && out.s3Uri === undefined))
    throw new StageError(
      `${reference.stage} recorded no out ${reference.out}: run \`pipeline run --from ${reference.stage}\``,
    );
  return {
    ...(out.path !== undefined ? { path: out.path } : {}),
    ...(out.s3Uri !== undefined ? { s3Uri: out.s3Uri } : {}),
  };
}

/** The references a user stage's deps make. */
export const depReferences = (settings: UserStageSettings): Reference[] =>
  settings.deps.flatMap((dep) => (typeof dep === 'string' ? [] : [parseReference(dep.from)]));

/** What both kinds put in the fingerprint besides their own settings. */
export const sharedInputs = (name: string, settings: UserStageSettings, config: PipelineConfig) => ({
  [`stages.${name}.params`]: resolvedParams(settings, config) as JsonValue,
});

/** The stages a user stage needs: its own needs, the producers of what it reads, push for the pipeline's image. */
export function userStageNeeds(settings: UserStageSettings, builtIns: readonly Stage[]): string[] {
  const needs = new Set(settings.needs);
  for (const reference of depReferences(settings)) needs.add(reference.stage);
  for (const source of Object.values(settings.processing?.inputs ?? {}))
    if (source.from !== undefined) needs.add(parseReference(source.from).stage);
  if (
    settings.processing &&
    settings.processing.image === undefined &&
    builtIns.some((s) => s.name === 'push')
  )
    needs.add('push');
  return [...needs];
}
