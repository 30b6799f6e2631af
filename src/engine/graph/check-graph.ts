// What pipeline.yaml's graph of stages must be, checked when the config loads so that a broken
// graph stops before anything runs, each problem at its file:line:col: every need and reference
// names a stage and an out that exist, no circle, no out made twice, no stage reading what it
// makes, one kind per stage.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isWithin } from '../../shared/path-within.js';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { type LocalOut, localOutsOf, makerOf } from '../config/user-outs.js';
import {
  type BuiltInFacts,
  edgesOf,
  findCycle,
  formatReference,
  outsOf,
  parseReference,
  referencesIn,
  referenceVariable,
  userStagesOf,
} from './stage-graph.js';

/** A problem at a config path (check-semantics turns it into a diagnostic at its position). */
export type GraphProblem = { path: (string | number)[]; message: string; atKey?: boolean };

const COMMAND_ONLY = ['outs', 'metrics', 'env', 'timeoutSeconds'] as const;

/** Reads a config value by a dotted path, or undefined. */
export function configValueAt(config: unknown, dotted: string): unknown {
  let value: unknown = config;
  for (const part of dotted.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The one config value a `{config: PATH}` param names, or the param's own value. */
export const isConfigParam = (value: unknown): value is { config: string } =>
  value !== null &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  Object.keys(value).length === 1 &&
  typeof (value as { config?: unknown }).config === 'string';

export function checkStageGraph(
  config: PipelineConfig,
  projectDir: string,
  builtIns: readonly BuiltInFacts[],
): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const report = (path: (string | number)[], message: string) => problems.push({ path, message });
  /** A problem of a whole stage: at its name. */
  const reportStage = (name: string, message: string) =>
    problems.push({ path: ['stages', name], message, atKey: true });
  const builtInNames = new Set(builtIns.map((stage) => stage.name));
  const users = userStagesOf(config);
  const allNames = [...new Set([...builtIns.map((stage) => stage.name), ...users.map(([name]) => name)])];
  const known = new Set(allNames);
  const outs = outsOf(config, builtIns);
  /** Why a built-in stage does not run with this config, if it does not. */
  const offBuiltIn = (name: string) => builtIns.find((stage) => stage.name === name)?.disabled?.(config);

  for (const [name, settings] of users) {
    const at = ['stages', name];
    if (builtInNames.has(name)) {
      reportStage(name, `"${name}" is a built-in stage's name: give your stage another`);
      continue;
    }
    if ((settings.command === undefined) === (settings.processing === undefined)) {
      reportStage(
        name,
        `stage ${name} needs exactly one of command (run on this machine) or processing (a SageMaker Processing job), not ${settings.command === undefined ? 'neither' : 'both'}`,
      );
    }
    if (settings.processing)
      for (const key of COMMAND_ONLY)
        if (settings[key] !== undefined && !isEmpty(settings[key]))
          report(
            [...at, key],
            key === 'outs'
              ? `stage ${name} is a processing job: its outs are processing.outputs (each in S3, and downloaded where \`download\` says)`
              : `${key} is for command stages; a processing job takes processing.environment and processing.maxRuntimeSeconds`,
          );
    settings.needs.forEach((need, index) => {
      const off = offBuiltIn(need);
      if (off)
        report([...at, 'needs', index], `stage ${name} needs ${need}, which this config turns off (${off})`);
      if (need === name) report([...at, 'needs', index], `stage ${name} cannot need itself`);
      else if (!known.has(need))
        report(
          [...at, 'needs', index],
          `stage ${name} needs "${need}", which is no stage: the stages are ${allNames.join(', ')}`,
        );
    });
    if (settings.gates.length > 0 && settings.metrics === undefined)
      report(
        [...at, 'gates'],
        `stage ${name} has gates but no metrics file to check them against: set metrics`,
      );
    for (const [param, value] of Object.entries(settings.params))
      if (isConfigParam(value) && configValueAt(config, value.config) === undefined)
        report(
          [...at, 'params', param, 'config'],
          `param ${param} reads ${value.config}, which this config does not set`,
        );
    for (const [input, source] of Object.entries(settings.processing?.inputs ?? {})) {
      const given = [source.path, source.from, source.s3Uri].filter((value) => value !== undefined).length;
      if (given !== 1)
        report(
          [...at, 'processing', 'inputs', input],
          `input ${input} needs exactly one of path (a local file or folder), from (another stage's out) or s3Uri`,
        );
    }
    checkDeps(config, projectDir, name, settings, report);
    // Two outs a command reads must not meet in one variable (a-b.x and a_b.x would).
    const variables = new Map<string, string>();
    settings.deps.forEach((dep, index) => {
      if (typeof dep === 'string') return;
      const variable = referenceVariable(parseReference(dep.from));
      const other = variables.get(variable);
      if (other !== undefined && other !== dep.from)
        report(
          [...at, 'deps', index, 'from'],
          `${dep.from} and ${other} would both be given to the command as ${variable}: rename one of the stages or outs`,
        );
      else variables.set(variable, dep.from);
    });
  }

  for (const [channel, settings] of Object.entries(config.data)) {
    if ((settings.path === undefined) === (settings.from === undefined))
      report(
        ['data', channel],
        `data channel "${channel}" needs one of path (a local file or folder) or from (a user stage's out, STAGE.OUT), not ${settings.path === undefined ? 'neither' : 'both'}`,
      );
  }

  for (const use of referencesIn(config)) {
    const producer = outs.get(use.reference.stage);
    const shown = formatReference(use.reference);
    if (!producer) {
      report(use.path, `${shown} names no stage: the stages are ${allNames.join(', ')}`);
      continue;
    }
    const out = producer.get(use.reference.out);
    if (!out) {
      const offered = [...producer.keys()];
      report(
        use.path,
        `stage ${use.reference.stage} makes no out "${use.reference.out}"${offered.length > 0 ? `: its outs are ${offered.map((o) => `${use.reference.stage}.${o}`).join(', ')}` : ': it declares none'}`,
      );
      continue;
    }
    if (use.reader === use.reference.stage)
      report(use.path, `stage ${use.reader} cannot read its own out ${shown}`);
    const off = offBuiltIn(use.reference.stage);
    if (off)
      report(use.path, `${shown} is never made: this config turns ${use.reference.stage} off (${off})`);
    if (use.reader === 'data' && out.kind === 'built-in')
      report(
        use.path,
        `a data channel reads a user stage's out; ${shown} is made by a built-in stage after training`,
      );
    if (
      use.reader === 'data' &&
      out.kind === 's3' &&
      out.download === undefined &&
      builtInNames.has('local-test') &&
      config.localTest.context === undefined
    )
      report(
        use.path,
        `local-test trains on local files, and ${shown} stays in S3: set download on that output (a local folder), or give localTest.context`,
      );
  }

  checkOutsOverlap(config, report);

  const found = findCycle(edgesOf(config, builtIns));
  if (found) {
    // Told from the first user stage in it (the built-in stages' needs are not the user's to change).
    const loop = found.slice(0, -1);
    const start = Math.max(
      0,
      loop.findIndex((name) => config.stages?.[name] !== undefined),
    );
    const cycle = [...loop.slice(start), ...loop.slice(0, start), loop[start] as string];
    const first = cycle[0] as string;
    const message = `the stages need each other in a circle: ${cycle.join(' → ')} (each needs the next)`;
    if (config.stages?.[first]?.needs.length) report(['stages', first, 'needs'], message);
    else reportStage(first, message);
  }
  return problems;
}

const isEmpty = (value: unknown): boolean =>
  value === undefined ||
  (Array.isArray(value)
    ? value.length === 0
    : typeof value === 'object' && value !== null && Object.keys(value).length === 0);

/** A stage's file deps exist, are not inside its own outs, and name an out with `from`, not by path. */
function checkDeps(
  config: PipelineConfig,
  projectDir: string,
  name: string,
  settings: NonNullable<PipelineConfig['stages']>[string],
  report: (path: (string | number)[], message: string) => void,
): void {
  const own = localOutsOf(config).flatMap((made) => (made.stage === name ? [made.path] : []));
  const localInputs = Object.entries(settings.processing?.inputs ?? {}).flatMap(([input, source]) =>
    source.path !== undefined
      ? [{ path: source.path, at: ['processing', 'inputs', input, 'path'] as (string | number)[] }]
      : [],
  );
  const deps = [
    ...settings.deps.flatMap((dep, index) =>
      typeof dep === 'string' ? [{ path: dep, at: ['deps', index] as (string | number)[] }] : [],
    ),
    ...localInputs,
  ];
  for (const { path, at } of deps) {
    const where = ['stages', name, ...at];
    const mine = own.find((out) => isWithin(out, path) || isWithin(path, out));
    if (mine !== undefined) {
      report(
        where,
        `stage ${name} reads ${path}, which overlaps its own out ${mine}: a stage cannot read what it makes`,
      );
      continue;
    }
    const made = makerOf(config, path, name);
    if (made) {
      report(
        where,
        `${path} is made by stage ${made.stage} (out ${made.out}): read it as {from: ${made.stage}.${made.out}}, so that ${name} runs after ${made.stage} and re-runs when it changes`,
      );
      continue;
    }
    if (!existsSync(resolve(projectDir, path)))
      report(where, `stage ${name} reads "${path}", which does not exist`);
  }
}

/** No two outs (of one stage or two) are the same path or one inside the other. */
function checkOutsOverlap(
  config: PipelineConfig,
  report: (path: (string | number)[], message: string) => void,
): void {
  const seen: LocalOut[] = [];
  for (const made of localOutsOf(config)) {
    const { stage, out, path } = made;
    const clash = seen.find((other) => isWithin(other.path, path) || isWithin(path, other.path));
    if (clash)
      report(
        made.at,
        clash.stage === stage
          ? `outs ${clash.out} and ${out} of stage ${stage} overlap (${clash.path}, ${path}): each out is a path of its own`
          : `${path} is written by two stages: ${clash.stage} (out ${clash.out}, ${clash.path}) and ${stage}: each out has one maker`,
      );
    else seen.push(made);
  }
  for (const [channel, settings] of Object.entries(config.data)) {
    if (settings.path === undefined) continue;
    const made = makerOf(config, settings.path);
    if (made)
      report(
        ['data', channel, 'path'],
        `${settings.path} is made by stage ${made.stage} (out ${made.out}): write from: ${made.stage}.${made.out} instead of path, so that the data is made before it is uploaded`,
      );
  }
}
