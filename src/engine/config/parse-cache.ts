// A cache of parseYamlWithPositions, keyed by the exact text (and the name it is shown under):
// parsing pipeline.yaml with a cold YAML library is the largest part of a no-op run's own work
// (BENCHMARKS.md). The entry is V8's structured serialisation, so that every value (.inf, .nan,
// the position Map) comes back exactly as the parser made it. The CLI keeps it in
// .pipeline/cache/, and it is written only once that folder exists; a missing, stale or damaged
// entry just means parsing again.
import { createHash } from 'node:crypto';
import { readCacheFile, writeCacheFile } from './v8-cache-file.js';
import { type ParsedYaml, parseYamlWithPositions } from './yaml-source.js';

interface CacheEntry {
  key: string;
  parsed: ParsedYaml;
}

export async function parseYamlCached(text: string, display: string, cacheFile: string): Promise<ParsedYaml> {
  const key = createHash('sha256').update(display).update('\0').update(text).digest('hex');
  const entry = readCacheFile(cacheFile) as CacheEntry | undefined;
  if (entry?.key === key) return entry.parsed;
  const parsed = await parseYamlWithPositions(text, display);
  writeCacheFile(cacheFile, { key, parsed } satisfies CacheEntry);
  return parsed;
}
