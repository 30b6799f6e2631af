// Where the state, the lock and the run history live. The engine always works on the files of
// .pipeline/; a backend decides whether those files are the truth (`local`) or a working copy of
// a shared one (`s3`: pulled before a command reads them, pushed after each write, the lock
// taken by conditional write). Backends that talk to a service live outside the engine, which
// imports no AWS SDK.
import type { Result } from '../../shared/result.js';
import type { CorruptState } from './state-store.js';

export interface LockHolder {
  /** The nonce `pipeline unlock` is given, as `terraform force-unlock` takes one. */
  id: string;
  pid: number;
  host: string;
  user: string;
  startedAt: string;
  command: string;
  /** Set when the lock's file cannot be read (empty, not JSON, another shape): why. */
  damaged?: string;
}

export interface HeldLock {
  holder: LockHolder;
  release(): Promise<void>;
}

/** Where the lock is (a file, an S3 URL) and who holds it. */
export type AcquireResult = Result<HeldLock, { file: string; holder: LockHolder }>;

export interface LockOptions {
  /** How long to wait for a held lock before giving up (0: fail at once). */
  waitMs?: number;
  signal?: AbortSignal;
  /** Told once, when the lock is found held and the wait begins. */
  onWait?: (holder: LockHolder, where: string) => void;
}

export interface StateBackend {
  /** For messages: the state folder, or s3://bucket/prefix/. */
  readonly location: string;
  /**
   * Brings the state folder up to date with the shared state (a no-op for the local folder); what
   * it found and refused to pull, each said in one line for the user.
   */
  pull(): Promise<string[]>;
  /**
   * Sends what changed in the state folder since the last pull or push (state writes are
   * conditional); the number of files sent.
   */
  push(): Promise<number>;
  lock(command: string, options?: LockOptions): Promise<AcquireResult>;
  /** Who holds the lock now; undefined when nobody does, or its holder died on this host. */
  holder(): Promise<LockHolder | undefined>;
  /** Removes the lock whose id is given; the holder it removed, or why it did not. */
  unlock(id: string): Promise<Result<LockHolder, string>>;
  /** A damaged state.json as this backend can tell where it is to be mended. */
  describeDamage(state: CorruptState): Promise<CorruptState>;
}

/**
 * A shared state that cannot be used as it is: another run wrote it since this one read it (a
 * run that lost its lock), or the service refused. Exit code 3, as for a locked or damaged state.
 */
export class StateBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateBackendError';
  }
}
