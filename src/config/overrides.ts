// The two ways to change a config without editing it: a named environment from the file's
// `environments:` (`--env prod`) and `--set path=value` arguments. Positions follow the values,
// so a bad override is reported where it was written.
import type { Diagnostic } from './diagnostic.js';
import { typedScalar } from './interpolate.js';
import { yamlLibrary } from './yaml-library.js';
import { type PositionMap, pointerOf } from './yaml-source.js';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Objects merge key by key; lists and scalars replace. */
export function deepMerge(base: unknown, overlay: unknown): unknown {
  if (!isObject(base) || !isObject(overlay)) return overlay;
  const merged: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) merged[key] = deepMerge(base[key], value);
  return merged;
}

function replacePositions(positions: PositionMap, fromPrefix: string, toPrefix: string): void {
  for (const [pointer, position] of [...positions]) {
    if (pointer === fromPrefix || pointer.startsWith(`${fromPrefix}/`)) {
      positions.set(toPrefix + pointer.slice(fromPrefix.length), position);
    }
  }
}

export function environmentNames(config: unknown): string[] {
  const environments = isObject(config) ? config.environments : undefined;
  return isObject(environments) ? Object.keys(environments) : [];
}

/** Applies environment NAME; the caller has checked that it exists. */
export function applyEnvironment(config: JsonObject, positions: PositionMap, name: string): JsonObject {
  const environments = config.environments as JsonObject;
  const overlay = environments[name];
  replacePositions(positions, pointerOf(['environments', name]), '');
  return deepMerge(config, overlay) as JsonObject;
}

export interface SetOverride {
  path: string[];
  value: unknown;
  argument: string;
}

/** A --set value: a YAML flow list or map (`["a", "b"]`, `{k: v}`) as such, else a typed scalar. */
async function overrideValue(text: string): Promise<unknown> {
  if (/^\s*[[{]/.test(text)) {
    try {
      return (await yamlLibrary()).parse(text);
    } catch {
      // Not valid YAML after all: the schema will say what the value should have been.
    }
  }
  return typedScalar(text);
}

/** Parses `--set a.b.c=value`; the value is read as YAML (numbers and booleans typed, flow lists). */
export async function parseSetOverride(argument: string): Promise<SetOverride | Diagnostic> {
  const location = { kind: 'argument', argument: `--set ${argument}` } as const;
  const equals = argument.indexOf('=');
  if (equals <= 0) return { message: 'expected --set path.to.key=value', location };
  const path = argument.slice(0, equals).split('.');
  if (path.some((part) => part === ''))
    return { message: `"${argument.slice(0, equals)}" is not a key path`, location };
  return { path, value: await overrideValue(argument.slice(equals + 1)), argument: `--set ${argument}` };
}

export function applySetOverride(
  config: JsonObject,
  positions: PositionMap,
  override: SetOverride,
): JsonObject {
  const root = structuredClone(config);
  let node: JsonObject = root;
  for (const key of override.path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as JsonObject;
  }
  node[override.path.at(-1) as string] = override.value;
  const pointer = pointerOf(override.path);
  for (const existing of [...positions.keys()]) {
    if (existing.startsWith(`${pointer}/`)) positions.delete(existing);
  }
  const location = { kind: 'argument', argument: override.argument } as const;
  positions.set(pointer, { key: location, value: location });
  return root;
}
