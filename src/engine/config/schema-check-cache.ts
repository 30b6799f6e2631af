// A cache of the schema check of a valid config, keyed by the config as it stands before the check
// (after interpolation, the environment and `--set`) and the schema's digest: a run whose
// pipeline.yaml did not change takes the config with its defaults from .pipeline/cache/ and never
// loads the generated validator, a third of the CLI's code to compile (BENCHMARKS.md). Only valid
// configs are kept: a config with problems is always checked, so that every problem is found
// and placed. A missing, stale or damaged entry just means checking again.
import { createHash } from 'node:crypto';
import { serialize } from 'node:v8';
import { SCHEMA_DIGEST } from './generated/schema-digest.js';
import { readCacheFile, writeCacheFile } from './v8-cache-file.js';
import type { SchemaCheck } from './validate-schema.js';
import type { PositionMap } from './yaml-source.js';

interface CacheEntry {
  key: string;
  value: unknown;
}

/** The last few configs checked (an environment, a --set or two, as CI and a person alternate). */
const KEPT = 8;

export async function checkSchemaCached(
  config: unknown,
  positions: PositionMap,
  cacheFile: string | undefined,
): Promise<SchemaCheck> {
  const key = createHash('sha256').update(SCHEMA_DIGEST).update(serialize(config)).digest('hex');
  const stored = cacheFile ? readCacheFile(cacheFile) : undefined;
  const entries = Array.isArray(stored) ? (stored as CacheEntry[]) : [];
  const hit = entries.find((entry) => entry?.key === key);
  if (hit) return { value: hit.value, diagnostics: [] };
  const { validateAgainstSchema } = await import('./validate-schema.js');
  const checked = validateAgainstSchema(config, positions);
  if (cacheFile && checked.diagnostics.length === 0)
    writeCacheFile(cacheFile, [{ key, value: checked.value }, ...entries].slice(0, KEPT));
  return checked;
}
