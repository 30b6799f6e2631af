// Reads a whole file of known size. A small file is read on the main thread: through the thread
// pool a read is four hand-overs (open, fstat, read, close), which for 3,000 small files cost the
// upload stage more than a second of its 8; a large one is read the asynchronous way, so that the
// process keeps answering while it reads.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Files up to this size are read synchronously (a millisecond or less). */
const SYNC_READ_MAX = 1024 * 1024;

export async function readWholeFile(path: string, size: number): Promise<Buffer> {
  return size <= SYNC_READ_MAX ? readFileSync(path) : readFile(path);
}
