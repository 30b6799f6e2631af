// One `pipeline run` at a time per pipeline: .pipeline/lock names its holder (a lock id, pid,
// host, user, start, command). A lock whose process is gone from this host is stale and taken
// over; any other is removed only by `pipeline unlock LOCK_ID`. A run may wait for a held lock
// (--lock-timeout).
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import { pause } from '../../shared/poll.js';
import { isProcessAlive } from '../../shared/process-alive.js';
import type { Result } from '../../shared/result.js';
import type { AcquireResult, LockHolder, LockOptions } from './state-backend.js';

export type { AcquireResult, HeldLock, LockHolder } from './state-backend.js';

export const lockFile = pipelinePaths.lock;

/** Who asks for the lock, now. */
export function newLockHolder(command: string): LockHolder {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the pid and host still say who.
  }
  return {
    id: randomUUID(),
    pid: process.pid,
    host: hostname(),
    user,
    startedAt: new Date().toISOString(),
    command,
  };
}

/** A lock is stale when its holder was on this host and is gone, or when it cannot be read. */
export function isStale(holder: LockHolder | undefined): boolean {
  if (!holder || typeof holder.pid !== 'number') return true;
  return holder.host === hostname() && !isProcessAlive(holder.pid);
}

/**
 * Tries `attempt` until it takes the lock, the wait is over or the signal fires; between tries
 * it waits 0.5 s, doubling to 5 s. Shared by the local and the S3 lock.
 */
export async function waitForLock(
  attempt: () => Promise<AcquireResult>,
  { waitMs = 0, signal, onWait }: LockOptions = {},
): Promise<AcquireResult> {
  const deadline = Date.now() + waitMs;
  let delayMs = 500;
  for (let tries = 0; ; tries++) {
    const result = await attempt();
    if (result.ok || Date.now() + delayMs > deadline || signal?.aborted) return result;
    if (tries === 0) onWait?.(result.error.holder, result.error.file);
    await pause(delayMs, signal);
    delayMs = Math.min(delayMs * 2, 5000);
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

async function tryLock(stateDir: string, command: string): Promise<AcquireResult> {
  await mkdir(stateDir, { recursive: true });
  const file = lockFile(stateDir);
  const holder = newLockHolder(command);
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
            if (current?.id === holder.id) await rm(file, { force: true });
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

export function acquireLock(
  stateDir: string,
  command: string,
  options: LockOptions = {},
): Promise<AcquireResult> {
  return waitForLock(() => tryLock(stateDir, command), options);
}

/** Who holds the local lock now: undefined when nobody does, or its holder is gone. */
export async function liveHolder(stateDir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(lockFile(stateDir));
  return isStale(holder) ? undefined : holder;
}

/** `pipeline unlock LOCK_ID` for the local folder: removes the lock only if it has that id. */
export async function unlockLocal(stateDir: string, id: string): Promise<Result<LockHolder, string>> {
  const file = lockFile(stateDir);
  const holder = await readHolder(file);
  if (!holder) return { ok: false, error: `${file}: no lock is held` };
  if (holder.id !== id)
    return { ok: false, error: `the lock is held under id ${holder.id ?? '(none)'}, not ${id}` };
  await rm(file, { force: true });
  return { ok: true, value: holder };
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
