// The pipeline as one graph: the built-in stages with the user's own (pipeline.yaml's `stages:`),
// their edges (what each needs, and the outs it reads), and the outs each stage offers. Read by
// the config check (check-graph.ts), the order stages run in (order-stages.ts) and the stages
// that resolve a reference at run time. Pure: config in, facts out.
import type { DataChannel, PipelineConfig } from '../config/pipeline-config.js';

/** What the graph needs to know of a built-in stage. */
export interface BuiltInFacts {
  name: string;
  needs: readonly string[];
  /** Outs a user stage may read (`evaluate.metrics`). */
  outNames: readonly string[];
  /** Why a config turns the stage off (`deploy.enabled: false`), as Stage.disabled says. */
  disabled?: (config: PipelineConfig) => string | undefined;
}

export type UserStageSettings = NonNullable<PipelineConfig['stages']>[string];

/** `STAGE.OUT`, split at its first dot (stage names have none). */
export interface Reference {
  stage: string;
  out: string;
}

export const parseReference = (text: string): Reference => {
  const dot = text.indexOf('.');
  return { stage: text.slice(0, dot), out: text.slice(dot + 1) };
};

export const formatReference = ({ stage, out }: Reference): string => `${stage}.${out}`;

/** `PIPELINE_FROM_PREPARE_TRAIN` for prepare.train: the variable a command reads an out's place from. */
export const referenceVariable = ({ stage, out }: Reference): string =>
  `PIPELINE_FROM_${`${stage}_${out}`.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** An out as its readers see it. */
export type OutKind =
  /** A file or folder of the project a command makes. */
  | { kind: 'local'; path: string }
  /** A processing job's output in S3, also copied to `download` when that is set. */
  | { kind: 's3'; download?: string }
  /** A file a built-in stage writes under .pipeline/ (evaluate's metrics.json). */
  | { kind: 'built-in' };

/** Where a reference is written in pipeline.yaml, for a diagnostic, and who reads it. */
export interface ReferenceUse {
  reader: string;
  reference: Reference;
  path: (string | number)[];
}

export const userStagesOf = (config: PipelineConfig): [string, UserStageSettings][] =>
  Object.entries(config.stages ?? {});

/** The outs of every stage by name: a command's `outs`, a processing job's `outputs`, the built-ins'. */
export function outsOf(
  config: PipelineConfig,
  builtIns: readonly BuiltInFacts[],
): Map<string, Map<string, OutKind>> {
  const outs = new Map<string, Map<string, OutKind>>();
  for (const stage of builtIns)
    outs.set(stage.name, new Map(stage.outNames.map((name) => [name, { kind: 'built-in' } as const])));
  for (const [name, settings] of userStagesOf(config)) {
    const made = new Map<string, OutKind>();
    if (settings.processing) {
      for (const [out, output] of Object.entries(settings.processing.outputs))
        made.set(out, {
          kind: 's3',
          ...(output.download !== undefined ? { download: output.download } : {}),
        });
    } else {
      for (const [out, path] of Object.entries(settings.outs)) made.set(out, { kind: 'local', path });
    }
    outs.set(name, made);
  }
  return outs;
}

/** Every reference in the config: data channels, deps, processing inputs. */
export function referencesIn(config: PipelineConfig): ReferenceUse[] {
  const uses: ReferenceUse[] = [];
  for (const [name, settings] of userStagesOf(config)) {
    settings.deps.forEach((dep, index) => {
      if (typeof dep !== 'string')
        uses.push({
          reader: name,
          reference: parseReference(dep.from),
          path: ['stages', name, 'deps', index, 'from'],
        });
    });
    for (const [input, source] of Object.entries(settings.processing?.inputs ?? {}))
      if (source.from !== undefined)
        uses.push({
          reader: name,
          reference: parseReference(source.from),
          path: ['stages', name, 'processing', 'inputs', input, 'from'],
        });
  }
  for (const [channel, settings] of Object.entries(config.data))
    if (settings.from !== undefined)
      uses.push({
        reader: 'data',
        reference: parseReference(settings.from),
        path: ['data', channel, 'from'],
      });
  return uses;
}

/** The out a channel reads, when it reads one. */
export const channelSource = (channel: DataChannel): Reference | undefined =>
  channel.from !== undefined ? parseReference(channel.from) : undefined;

/**
 * Which built-in stage needs which user stage through the data channels: upload sends a
 * command's out; train reads a processing job's output where it is in S3; local-test trains on
 * the channels' local copies (a command's out, a processing output's download) unless it has a
 * context of its own.
 */
export function channelNeeds(config: PipelineConfig): Record<'upload' | 'train' | 'local-test', Set<string>> {
  const needs = { upload: new Set<string>(), train: new Set<string>(), 'local-test': new Set<string>() };
  const ownContext = config.localTest.context !== undefined;
  for (const channel of Object.values(config.data)) {
    const source = channelSource(channel);
    const producer = source && config.stages?.[source.stage];
    if (!source || !producer) continue;
    if (producer.processing) {
      needs.train.add(source.stage);
      if (!ownContext && producer.processing.outputs[source.out]?.download !== undefined)
        needs['local-test'].add(source.stage);
    } else {
      needs.upload.add(source.stage);
      if (!ownContext) needs['local-test'].add(source.stage);
    }
  }
  return needs;
}

/** Every edge of the graph: stage → the stages it needs (user needs, references, default image). */
export function edgesOf(
  config: PipelineConfig,
  builtIns: readonly BuiltInFacts[],
  pushStage = 'push',
): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  const add = (from: string, to: string) => {
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)?.add(to);
  };
  builtIns.forEach((stage, index) => {
    edges.set(stage.name, new Set());
    for (const need of stage.needs) add(stage.name, need);
    // The built-in stages run one after another (compose-stages.ts): an edge like any need.
    const previous = builtIns[index - 1];
    if (previous) add(stage.name, previous.name);
  });
  const builtInNames = new Set(builtIns.map((stage) => stage.name));
  for (const [name, settings] of userStagesOf(config)) {
    edges.set(name, edges.get(name) ?? new Set());
    // A stage needing itself is its own problem (check-graph.ts), not a circle.
    for (const need of settings.needs) if (need !== name) add(name, need);
    if (settings.processing && settings.processing.image === undefined && builtInNames.has(pushStage))
      add(name, pushStage);
  }
  for (const use of referencesIn(config)) if (use.reader !== 'data') add(use.reader, use.reference.stage);
  for (const [reader, producers] of Object.entries(channelNeeds(config)))
    if (builtInNames.has(reader)) for (const producer of producers) add(reader, producer);
  return edges;
}

/** The first cycle found, as the path that closes it (a → b → a), or undefined. */
export function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of [...(edges.get(node) ?? [])].sort()) {
      if (!edges.has(next)) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The user stage a channel reads, when that stage is a processing job (its output is in S3). */
export function processingSourceOf(config: PipelineConfig, channel: DataChannel): Reference | undefined {
  const source = channelSource(channel);
  return source && config.stages?.[source.stage]?.processing ? source : undefined;
}

/** A channel with a local copy: its own path, a command's out, or a processing output's download. */
export type LocalChannel = DataChannel & { path: string };

/** The channels with a local copy (after resolveChannelPaths): what local-test trains on. */
export const localChannels = (config: PipelineConfig): Record<string, LocalChannel> =>
  Object.fromEntries(
    Object.entries(config.data).filter(
      (entry): entry is [string, LocalChannel] => entry[1].path !== undefined,
    ),
  );

/** The channels the upload stage sends: all but those a processing job has put in S3 already. */
export const uploadedChannels = (config: PipelineConfig): Record<string, LocalChannel> =>
  Object.fromEntries(
    Object.entries(localChannels(config)).filter(([, channel]) => !processingSourceOf(config, channel)),
  );

/**
 * The config with each channel that reads an out given that out's local path (a command's out,
 * or where a processing output is downloaded), so that the stages that read files find them.
 */
export function resolveChannelPaths(config: PipelineConfig): PipelineConfig {
  const outs = outsOf(config, []);
  let data: PipelineConfig['data'] | undefined;
  for (const [name, channel] of Object.entries(config.data)) {
    const source = channelSource(channel);
    if (!source || channel.path !== undefined) continue;
    const out = outs.get(source.stage)?.get(source.out);
    const path = out?.kind === 'local' ? out.path : out?.kind === 's3' ? out.download : undefined;
    if (path === undefined) continue;
    data ??= { ...config.data };
    data[name] = { ...channel, path };
  }
  return data ? { ...config, data } : config;
}
