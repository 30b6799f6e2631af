// The two ways to change a config without editing it: a named environment from the file's
// `environments:` (`--env prod`) and `--set path=value` arguments. Positions follow the values,
// so a bad override is reported where it was written.
import type { Diagnostic } from './diagnostic.js';
import { typedScalar } from './interpolate.js';
import { looksSecret } from './secret-names.js';
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

/**
 * A --set value: a YAML flow list or map (`["a", "b"]`, `{k: v}`) as such, else a typed scalar;
 * or why it is neither (a value that starts like a list but is not one is a mistake, not a string).
 */
async function overrideValue(text: string): Promise<{ value: unknown } | { problem: string }> {
  if (/^\s*[[{]/.test(text)) {
    try {
      return { value: (await yamlLibrary()).parse(text) };
    } catch (error) {
      const reason =
        error instanceof RangeError ? 'nested too deeply' : (error as Error).message.split('\n')[0];
      return {
        problem: `the value is not a valid YAML list or map (${reason}); put it in quotes to keep it as a string`,
      };
    }
  }
  // A quoted value is YAML's quoted string: `--set image.tag="2024"` is the string 2024.
  if (/^\s*["']/.test(text)) {
    try {
      const value = (await yamlLibrary()).parse(text);
      if (typeof value === 'string') return { value };
    } catch {
      // Not one quoted string: said below.
    }
    return {
      problem: `${text} is not one quoted string (a quote inside it is doubled in '...' or escaped in "...")`,
    };
  }
  const value = typedScalar(text);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { problem: `${text} is too large for a number (at most about 1.8e308)` };
  }
  return { value };
}

/** How deep a --set path may go: no setting of pipeline.yaml is deeper than a few keys. */
export const MAX_SET_DEPTH = 32;

/** Parses `--set a.b.c=value`; the value is read as YAML (numbers and booleans typed, flow lists). */
export async function parseSetOverride(argument: string): Promise<SetOverride | Diagnostic> {
  const equals = argument.indexOf('=');
  const key = equals <= 0 ? argument : argument.slice(0, equals);
  // The argument is shown with a problem: never with a value given to a secret-named key.
  const whole = equals > 0 && looksSecret(key.split('.').at(-1) ?? '') ? `${key}=***` : argument;
  // Shown whole when it is as long as any a person types.
  const shown = whole.length > 200 ? `${whole.slice(0, 100)}…(${whole.length} characters)` : whole;
  const location = { kind: 'argument', argument: `--set ${shown}` } as const;
  if (equals <= 0) return { message: 'expected --set path.to.key=value', location };
  const path = key.split('.');
  if (path.some((part) => part === '')) return { message: `"${key}" is not a key path`, location };
  if (path.length > MAX_SET_DEPTH)
    return {
      message: `"${key.slice(0, 60)}…" is ${path.length} keys deep: at most ${MAX_SET_DEPTH}`,
      location,
    };
  const parsed = await overrideValue(argument.slice(equals + 1));
  if ('problem' in parsed) return { message: `${key}: ${parsed.problem}`, location };
  return { path, value: parsed.value, argument: `--set ${shown}` };
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
