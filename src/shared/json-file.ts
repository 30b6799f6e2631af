// A JSON file the tool keeps for itself (what was uploaded, what was deployed, upload receipts):
// read whole, or a fallback when it is missing or damaged, since what it remembers only saves
// work; written atomically, so a reader never sees half of one.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from './write-file-atomic.js';

export async function readJsonFile<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/**
 * mkdir -p that fails with the true reason: Node's recursive mkdir says ENOENT on a read-only file
 * system (or a folder without write permission), where a plain mkdir says EROFS (or EACCES).
 */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir).catch((plain: NodeJS.ErrnoException) => {
      throw plain.code === 'EEXIST' || plain.code === 'ENOENT' ? error : plain;
    });
  }
}

/** Writes value as JSON (indented by `indent` spaces, if given) and a newline, creating its folder. */
export async function writeJsonFile(file: string, value: unknown, indent?: number): Promise<void> {
  await makeFolder(dirname(file));
  await writeFileAtomic(file, `${JSON.stringify(value, null, indent)}\n`);
}
