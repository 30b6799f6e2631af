// Turns pipeline.yaml plus `--env` and `--set` into a validated PipelineConfig, or into every
// problem found on the way, each at its file:line:col.
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import type { Result } from '../../shared/result.js';
import { checkSemantics, type ExtraConfigCheck } from './check-semantics.js';
import { compareDiagnostics, type Diagnostic, type SourceTexts } from './diagnostic.js';
import { interpolate } from './interpolate.js';
import { applyEnvironment, applySetOverride, environmentNames, parseSetOverride } from './overrides.js';
import { parseYamlCached } from './parse-cache.js';
import type { PipelineConfig } from './pipeline-config.js';
import { checkSchemaCached } from './schema-check-cache.js';
import { declaredSecretNames, REDACTED, secretValuesByKey } from './secret-names.js';
import { type PositionMap, parseYamlWithPositions } from './yaml-source.js';

export interface LoadOptions {
  /** Path of pipeline.yaml. */
  file: string;
  /** A name under `environments:`. */
  environment?: string;
  /** `path=value` strings from `--set`. */
  sets?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  /** Locations are shown relative to this folder (default: the working directory). */
  cwd?: string;
  /** Where the last parse of the file is kept (parse-cache.ts); without it, every load parses. */
  parseCacheFile?: string;
  /** Where the schema checks of valid configs are kept (schema-check-cache.ts). */
  schemaCacheFile?: string;
  /**
   * Only the settings that say where the pipeline's resources are (name, target, aws, local)
   * must be complete: a setting elsewhere that names an unset variable is left out. For commands
   * such as `destroy`, which need no secret the stages use.
   */
  onlyWhereSettings?: boolean;
  /** Rules of the caller's beyond the schema and the semantics (the graph of stages). */
  extraChecks?: ExtraConfigCheck;
}

/** The top-level keys that say where a pipeline's resources are. */
const WHERE_KEYS = new Set(['name', 'target', 'aws', 'local']);

/** `environments.NAME.aws.bucket` says where as much as `aws.bucket` does. */
function isWhereSetting(path: readonly (string | number)[]): boolean {
  const inEnvironment = path[0] === 'environments';
  const top = inEnvironment ? path[2] : path[0];
  return top !== undefined && WHERE_KEYS.has(String(top));
}

export interface LoadedConfig {
  config: PipelineConfig;
  /** The folder of pipeline.yaml: relative paths in the config are relative to it. */
  projectDir: string;
  file: string;
  environment?: string;
  positions: PositionMap;
  /** Secret values (of secret variables and secret-named keys): never printed or written. */
  secrets: string[];
}

export interface ConfigErrors {
  diagnostics: Diagnostic[];
  sources: SourceTexts;
}

export type LoadResult = Result<LoadedConfig, ConfigErrors>;

export async function loadConfig(options: LoadOptions): Promise<LoadResult> {
  const file = resolve(options.file);
  const display = relative(options.cwd ?? process.cwd(), file) || basename(file);
  const sources = new Map<string, string>();
  const fail = (diagnostics: Diagnostic[]): LoadResult => ({
    ok: false,
    error: { diagnostics: diagnostics.sort(compareDiagnostics), sources },
  });

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `${display} not found: run pipeline in the folder that holds pipeline.yaml, or pass --file PATH`
        : `cannot read ${display}: ${(error as Error).message}`;
    return fail([{ message }]);
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) {
    // Pointed at the line where the file passes the limit; only that line is kept to show.
    const before = Buffer.from(text).subarray(0, MAX_CONFIG_BYTES).toString('utf8');
    const line = before.split('\n').length;
    const lineStart = before.lastIndexOf('\n') + 1;
    const shown = text.slice(lineStart, lineStart + 80).split('\n')[0] ?? '';
    sources.set(display, `${'\n'.repeat(line - 1)}${shown}`);
    return fail([
      {
        message: `${display} is ${(bytes / 1024).toFixed(0)} KiB, and passes ${MAX_CONFIG_BYTES / 1024} KiB (the most it may be) on this line: a pipeline needs a few KiB (is data pasted in?)`,
        location: { kind: 'file', file: display, line, col: 1, length: Math.max(1, shown.length) },
      },
    ]);
  }
  sources.set(display, text);

  const parsed = options.parseCacheFile
    ? await parseYamlCached(text, display, options.parseCacheFile)
    : await parseYamlWithPositions(text, display);
  if (parsed.diagnostics.length > 0 && parsed.value === undefined) return fail(parsed.diagnostics);
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    const top = parsed.positions.get('');
    return fail([
      {
        message: `${display} must be a mapping of settings (name:, image:, ...)`,
        ...(top ? { location: top.value } : {}),
      },
    ]);
  }
  const { positions } = parsed;
  const interpolated = interpolate(
    parsed.value,
    positions,
    options.env ?? process.env,
    declaredSecretNames(parsed.value),
    options.onlyWhereSettings ? (path) => !isWhereSetting(path) : undefined,
  );
  const diagnostics: Diagnostic[] = [...parsed.diagnostics, ...interpolated.diagnostics];
  let config = interpolated.value as Record<string, unknown>;
  // A problem's message may quote a value: never a secret one.
  const failHidingSecrets = (found: Diagnostic[]): LoadResult =>
    fail(redactDiagnostics(found, [...interpolated.secrets, ...secretValuesByKey(config)]));

  if (options.environment !== undefined) {
    const names = environmentNames(config);
    if (!names.includes(options.environment)) {
      const known =
        names.length > 0 ? `: known environments are ${names.join(', ')}` : ': the file defines none';
      return failHidingSecrets([
        ...diagnostics,
        { message: `no environment "${options.environment}" in ${display}${known}` },
      ]);
    }
    config = applyEnvironment(config, positions, options.environment);
  }
  const sets = options.sets ?? [];
  if (sets.length > MAX_SETS)
    return failHidingSecrets([
      ...diagnostics,
      {
        message: `${sets.length} --set options: at most ${MAX_SETS} (put settings in pipeline.yaml or an environment)`,
      },
    ]);
  for (const argument of sets) {
    const override = await parseSetOverride(argument);
    if ('message' in override) diagnostics.push(override);
    else config = applySetOverride(config, positions, override);
  }
  const size = countValues(config, MAX_VALUES);
  if (size > MAX_VALUES)
    return failHidingSecrets([
      ...diagnostics,
      {
        message: `${display} holds more than ${MAX_VALUES.toLocaleString('en-US')} settings and values once its aliases are expanded: a pipeline needs far fewer (is a YAML alias repeated, or a file pasted in?)`,
      },
    ]);

  // A config holding a secret value is never written to the cache: it is checked every time.
  const holdsSecrets = interpolated.secrets.length > 0 || secretValuesByKey(config).length > 0;
  const checked = await checkSchemaCached(
    config,
    positions,
    holdsSecrets ? undefined : options.schemaCacheFile,
  );
  diagnostics.push(...checked.diagnostics);
  if (diagnostics.length > 0) return failHidingSecrets(diagnostics);

  const resolved = checked.value as PipelineConfig;
  const projectDir = dirname(file);
  const env = options.env ?? process.env;
  const secrets = [
    ...interpolated.secrets,
    ...secretValuesByKey(resolved),
    ...buildSecretValues(resolved, env, projectDir),
  ];
  const semantic = checkSemantics(resolved, positions, projectDir, {
    env,
    secrets,
    ...(options.extraChecks ? { extraChecks: options.extraChecks } : {}),
  });
  if (semantic.length > 0) return fail(redactDiagnostics(semantic, secrets));
  return {
    ok: true,
    value: {
      config: resolved,
      projectDir,
      file,
      ...(options.environment !== undefined ? { environment: options.environment } : {}),
      positions,
      secrets,
    },
  };
}

/**
 * Larger than any pipeline.yaml: the YAML parser checks each mapping's keys against the others
 * (quadratic), so 200,000 keys would parse for many minutes before any check could say so.
 */
const MAX_CONFIG_BYTES = 256 * 1024;

/** More --set options than any command line needs: each one is checked against the whole config. */
const MAX_SETS = 1000;
/**
 * More values than any pipeline.yaml holds: the state and every run record keep the whole config,
 * so an alias repeated into a list would make .pipeline/ grow by its expansion on every run.
 */
const MAX_VALUES = 20_000;

/** The number of keys and values in a parsed document, counting stops past `limit`. */
function countValues(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const next = stack.pop();
    count++;
    if (next !== null && typeof next === 'object')
      for (const child of Array.isArray(next) ? next : Object.values(next)) {
        // A key counts as much as its value: a mapping of many keys is as large as a long list.
        if (!Array.isArray(next)) count++;
        stack.push(child);
      }
  }
  return count;
}

/** Largest build secret file whose content is kept out of the build's output. */
const MAX_SECRET_FILE = 64 * 1024;

/**
 * The values `image.build.secrets` hand to docker (a variable's, a file's content): a Dockerfile
 * step that prints one must not show it, so they are redacted like interpolated secrets.
 */
function buildSecretValues(
  config: PipelineConfig,
  env: Readonly<Record<string, string | undefined>>,
  projectDir: string,
): string[] {
  const values: string[] = [];
  for (const secret of config.image.build.secrets) {
    if (secret.env !== undefined) {
      const value = env[secret.env];
      if (value) values.push(value, value.trim());
    } else if (secret.src !== undefined) {
      try {
        const file = resolve(projectDir, secret.src);
        if (statSync(file).size > MAX_SECRET_FILE) continue;
        const content = readFileSync(file, 'utf8');
        values.push(content, content.trim());
      } catch {
        // A missing file is a diagnostic of checkSemantics.
      }
    }
  }
  return values.filter((value) => value.length > 0);
}

function redactDiagnostics(diagnostics: Diagnostic[], secrets: readonly string[]): Diagnostic[] {
  const hide = (text: string): string =>
    secrets.filter((s) => s.length > 0).reduce((result, secret) => result.replaceAll(secret, REDACTED), text);
  return diagnostics.map((diagnostic) => ({
    ...diagnostic,
    message: hide(diagnostic.message),
    ...(diagnostic.location?.kind === 'argument'
      ? { location: { ...diagnostic.location, argument: hide(diagnostic.location.argument) } }
      : {}),
  }));
}
