// A cache of parseYamlWithPositions, keyed by the exact text (and the name it is shown under):
// parsing pipeline.yaml with a cold YAML library is the largest part of a no-op run's own work
// (BENCHMARKS.md). The entry is V8's structured serialisation, so that every value (.inf, .nan,
// the position Map) comes back exactly as the parser made it. The CLI keeps it in
// .pipeline/cache/, and it is written only once that folder exists; a missing, stale or damaged
// entry just means parsing again.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { type ParsedYaml, parseYamlWithPositions } from './yaml-source.js';

interface CacheEntry {
  key: string;
  parsed: ParsedYaml;
}

export async function parseYamlCached(text: string, display: string, cacheFile: string): Promise<ParsedYaml> {
  const key = createHash('sha256').update(display).update('\0').update(text).digest('hex');
  try {
    const entry = deserialize(readFileSync(cacheFile)) as CacheEntry;
    if (entry.key === key) return entry.parsed;
  } catch {
    // No entry yet, or one that cannot be read: parse.
  }
  const parsed = await parseYamlWithPositions(text, display);
  try {
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, serialize({ key, parsed } satisfies CacheEntry), { flag: 'w' });
    renameSync(temporary, cacheFile);
  } catch {
    // No cache folder (nothing has run here yet) or a read-only checkout: nothing to keep.
  }
  return parsed;
}
