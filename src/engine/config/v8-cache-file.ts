// A cache file of V8's structured serialisation, as the config's caches keep them in
// .pipeline/cache/: read whole (undefined when missing or damaged: the work is just done again),
// written to a temporary file and renamed (a reader never sees half of one), and not written at
// all where it cannot be (no cache folder yet, a read-only checkout).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';

export function readCacheFile(file: string): unknown {
  try {
    return deserialize(readFileSync(file));
  } catch {
    return undefined;
  }
}

export function writeCacheFile(file: string, value: unknown): void {
  try {
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, serialize(value), { flag: 'w' });
    renameSync(temporary, file);
  } catch {
    // Nothing to keep here: the next command does the work again.
  }
}
