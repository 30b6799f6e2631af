// Writes a file so that a reader sees the old content or the new, never a torn one, even if the
// process or the machine dies mid-write: temp file, fsync, rename, fsync of the folder.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The last write asked for, per path: writes to one path go in the order they were asked for. */
const pending = new Map<string, Promise<void>>();

/**
 * Writes content to path atomically. Two writes of one path at once (a stage finishing as Ctrl-C
 * lands) go one after the other, the later call's content last: with one temp name for both
 * (the pid and the millisecond), they once wrote into the same temp file and renamed a torn state.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const previous = pending.get(path) ?? Promise.resolve();
  const write = previous.catch(() => undefined).then(() => replaceFile(path, content));
  pending.set(path, write);
  void write
    .finally(() => {
      if (pending.get(path) === write) pending.delete(path);
    })
    .catch(() => undefined);
  return write;
}

async function replaceFile(path: string, content: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    // A write through a handle names no file: name the one that could not be written.
    (error as NodeJS.ErrnoException).path ??= path;
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  await syncDirectory(dirname(path));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}
