// One `pipeline run` at a time per pipeline: .pipeline/lock names its holder (pid, host, start,
// command). A lock whose process is gone from this host is stale and taken over.
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import { isProcessAlive } from '../../shared/process-alive.js';
import type { Result } from '../../shared/result.js';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface HeldLock {
  holder: LockHolder;
  release(): Promise<void>;
}

export type AcquireResult = Result<HeldLock, { file: string; holder: LockHolder }>;

export const lockFile = pipelinePaths.lock;

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** A lock is stale when its holder was on this host and is gone, or when it cannot be read. */
export function isStale(holder: LockHolder | undefined): boolean {
  if (!holder || typeof holder.pid !== 'number') return true;
  return holder.host === hostname() && !isProcessAlive(holder.pid);
}

export async function acquireLock(stateDir: string, command: string): Promise<AcquireResult> {
  await mkdir(stateDir, { recursive: true });
  const file = lockFile(stateDir);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${JSON.stringify(holder)}\n`);
      await handle.sync();
      await handle.close();
      return {
        ok: true,
        value: {
          holder,
          release: async () => {
            const current = await readHolder(file);
            if (current?.pid === holder.pid && current.host === holder.host) await rm(file, { force: true });
          },
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const existing = await readHolder(file);
    if (!isStale(existing)) return { ok: false, error: { file, holder: existing as LockHolder } };
    await takeOverStale(file, existing);
  }
  const existing = await readHolder(file);
  return { ok: false, error: { file, holder: existing ?? { ...holder, pid: -1 } } };
}

/**
 * Moves a stale lock aside. Several processes may judge the same lock stale at once: the rename
 * lets one of them move it; one that finds it moved a fresh lock instead puts that lock back.
 */
async function takeOverStale(file: string, stale: LockHolder | undefined): Promise<void> {
  const aside = `${file}.stale.${process.pid}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readHolder(aside);
  if (moved && stale && (moved.pid !== stale.pid || moved.startedAt !== stale.startedAt)) {
    await link(aside, file).catch(() => undefined);
  }
  await rm(aside, { force: true });
}
