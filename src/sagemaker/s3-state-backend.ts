// The `s3` state backend: the state, its backup, the secret key that digests secrets, the
// deployments ledgers, the upload manifests and every run's record and files live under one S3
// prefix, shared by a team and its CI; .pipeline/ holds a working copy. A command pulls before it
// reads; a run pushes after each state write, state.json with `If-Match` on the ETag it read (or
// `If-None-Match: *` when there was none), so a run that lost its lock fails instead of writing
// over newer state. The lock is an object created with `If-None-Match: *`; a lock whose holder
// died stays until `pipeline unlock LOCK_ID` removes it.
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { newLockHolder, waitForLock } from '../engine/state/lock.js';
import {
  type AcquireResult,
  type LockHolder,
  type LockOptions,
  type StateBackend,
  StateBackendError,
} from '../engine/state/state-backend.js';
import type { CorruptState } from '../engine/state/state-store.js';
import { listFiles } from '../shared/list-files.js';
import { pathExists } from '../shared/path-exists.js';
import { pipelinePaths } from '../shared/pipeline-paths.js';
import type { Result } from '../shared/result.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';
import { isConditionFailed, isNotFound } from './aws-errors.js';

export interface S3StateLocation {
  bucket: string;
  /** Without a trailing slash. */
  prefix: string;
}

/** What this machine last pulled or pushed, so that each only moves what changed. */
interface SyncRecord {
  location: string;
  /** The ETag of state.json as last seen in S3; null: there was none. */
  stateEtag: string | null;
  files: Record<string, { size: number; mtimeMs: number; etag: string }>;
}

const STATE = 'state.json';
const LOCK = 'lock.json';

// A run's id as newRunId makes it (20261124T174507.123Z-4f2a), and the files a run writes beside
// its record: nothing else under runs/ is the backend's.
const RUN_ID = String.raw`\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{1,8}`;
const RUN_FILE = new RegExp(
  `^runs/${RUN_ID}(\\.json|/(metrics\\.json|report\\.html|summary\\.md|train\\.log|predictions\\.txt))$`,
);
const TARGET_FILE = /^(deployments\/[a-z][a-z0-9-]*\.json|upload\/[a-z][a-z0-9-]*-manifest\.json)$/;

/**
 * The files of the state folder that are shared: exactly the ones the backend itself writes, each
 * a plain relative path inside .pipeline/ (no `..`, no empty or dot segment). Everything else there
 * is a cache, and any other key under the prefix is refused: anyone who can write the team's bucket
 * could otherwise make a plain `pipeline status` write where they choose.
 */
export function isShared(path: string): boolean {
  return (
    path === STATE ||
    path === 'state.json.bak' ||
    path === 'secret-key' ||
    TARGET_FILE.test(path) ||
    RUN_FILE.test(path)
  );
}

/** The shared files of the state folder, relative with forward slashes: never its caches. */
async function sharedFiles(stateDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const single of [STATE, 'state.json.bak', 'secret-key'])
    if (
      await stat(join(stateDir, single)).then(
        (info) => info.isFile(),
        () => false,
      )
    )
      files.push(single);
  for (const folder of ['deployments', 'upload', 'runs'])
    files.push(
      ...(await listFiles(join(stateDir, folder)).catch(() => [])).map((file) => relative(stateDir, file)),
    );
  return files.map((file) => file.split(sep).join('/')).filter(isShared);
}

/**
 * The holder a lock object names; a damaged one (empty, not JSON, another shape) still holds the
 * lock, under an id made from its ETag, so that `pipeline unlock ID` can remove it, and only it.
 */
export function lockHolderOf(text: string, etag: string): LockHolder {
  let detail: string;
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (value && typeof value === 'object' && typeof value.id === 'string' && value.id.length > 0)
      return value as LockHolder;
    detail = 'it names no lock id';
  } catch (error) {
    detail = text.trim() === '' ? 'it is empty' : `it is not JSON: ${(error as Error).message}`;
  }
  return {
    id: `damaged-${etag.slice(0, 12) || 'lock'}`,
    pid: -1,
    host: 'unknown',
    user: 'unknown',
    startedAt: 'unknown',
    command: 'unknown',
    damaged: detail,
  };
}

/** Whether a file is as this folder last pulled or pushed it (its size and time as recorded). */
const asSynced = (known: SyncRecord['files'][string] | undefined, local: Stats): boolean =>
  known !== undefined && known.size === local.size && known.mtimeMs === local.mtimeMs;

export class S3StateBackend implements StateBackend {
  readonly location: string;
  private record: SyncRecord | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly where: S3StateLocation,
    private readonly stateDir: string,
  ) {
    this.location = `s3://${where.bucket}/${where.prefix}/`;
  }

  private key(path: string): string {
    return `${this.where.prefix}/${path}`;
  }

  private get recordFile(): string {
    return pipelinePaths.cache(this.stateDir, 's3-state-sync.json');
  }

  private async loadRecord(): Promise<SyncRecord> {
    if (this.record) return this.record;
    const empty: SyncRecord = { location: this.location, stateEtag: null, files: {} };
    try {
      const saved = JSON.parse(await readFile(this.recordFile, 'utf8')) as SyncRecord;
      // A record of another bucket or prefix says nothing about this one.
      this.record = saved.location === this.location ? saved : empty;
    } catch {
      this.record = empty;
    }
    return this.record;
  }

  private async saveRecord(): Promise<void> {
    if (!this.record) return;
    await mkdir(dirname(this.recordFile), { recursive: true });
    await writeFileAtomic(this.recordFile, `${JSON.stringify(this.record)}\n`);
  }

  private async remember(path: string, etag: string): Promise<void> {
    const record = await this.loadRecord();
    const info = await stat(join(this.stateDir, path));
    record.files[path] = { size: info.size, mtimeMs: info.mtimeMs, etag };
    if (path === STATE) record.stateEtag = etag;
  }

  /**
   * The shared objects under the prefix, by path, with their ETags; and the keys that are not a
   * file the backend writes (the lock aside), which are left where they are.
   */
  private async listShared(): Promise<{ objects: Map<string, string>; refused: string[] }> {
    const objects = new Map<string, string>();
    const refused: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.where.bucket,
          Prefix: `${this.where.prefix}/`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        const path = (object.Key ?? '').slice(this.where.prefix.length + 1);
        if (isShared(path)) objects.set(path, object.ETag ?? '');
        else if (path !== LOCK) refused.push(object.Key ?? '');
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { objects, refused };
  }

  async pull(): Promise<string[]> {
    const record = await this.loadRecord();
    const { objects, refused } = await this.guard('read the state from', () => this.listShared());
    if (!objects.has(STATE) && (await pathExists(join(this.stateDir, STATE)))) {
      if (record.files[STATE])
        throw new StateBackendError(
          `${this.key(STATE)} is gone from s3://${this.where.bucket}, though this machine saw it before: restore it (with versioning, its previous version), or delete .pipeline/state.json and .pipeline/cache/s3-state-sync.json to start afresh`,
        );
      throw new StateBackendError(
        `${this.location} holds no state yet, but .pipeline/state.json does (kept by the local backend): \`pipeline state push\` moves it and the run history there, or delete .pipeline/state.json to start afresh`,
      );
    }
    for (const [path, etag] of objects) {
      const known = record.files[path];
      const file = join(this.stateDir, path);
      const local = await stat(file).catch(() => undefined);
      // Unchanged in S3 since this folder last synced it: the local file is as new or newer (a run
      // here wrote it and has not pushed yet, or was killed before it could), and is kept; the
      // next push sends it. Taking S3's copy would undo what that run recorded.
      if (known?.etag === etag && local) continue;
      const body = await this.guard('read the state from', () =>
        this.s3.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: this.key(path) })),
      );
      const bytes = await body.Body?.transformToByteArray();
      await mkdir(dirname(file), { recursive: true });
      await writeFileAtomic(file, Buffer.from(bytes ?? []));
      // The key that digests secrets is readable by its owner only, as loadSecretKey makes it.
      if (path === 'secret-key') await chmod(file, 0o600);
      await this.remember(path, body.ETag ?? etag);
    }
    if (!objects.has(STATE)) record.stateEtag = null;
    await this.saveRecord();
    return refused.map(
      (key) =>
        `s3://${this.where.bucket}/${key} was not pulled: it is not a file the state backend writes (remove it from the bucket)`,
    );
  }

  /**
   * A damaged state.json is the shared one when this folder's copy is as it was pulled or pushed
   * (mended in S3); else the damage is this folder's alone (mended by deleting the copy).
   */
  async describeDamage(state: CorruptState): Promise<CorruptState> {
    const local = await stat(join(this.stateDir, STATE)).catch(() => undefined);
    const synced = local !== undefined && asSynced((await this.loadRecord()).files[STATE], local);
    return { ...state, shared: `${this.location}${STATE}`, changedHere: !synced };
  }

  /** The number of files sent. */
  async push(): Promise<number> {
    const record = await this.loadRecord();
    const changed: string[] = [];
    for (const path of await sharedFiles(this.stateDir)) {
      const known = record.files[path];
      if (asSynced(known, await stat(join(this.stateDir, path)))) continue;
      changed.push(path);
    }
    // state.json first, on its condition: a run that lost its lock stops before it writes more.
    changed.sort((a, b) => Number(b === STATE) - Number(a === STATE));
    for (const path of changed) {
      const body = await readFile(join(this.stateDir, path));
      const condition =
        path !== STATE ? {} : record.stateEtag ? { IfMatch: record.stateEtag } : { IfNoneMatch: '*' };
      let etag: string | undefined;
      try {
        etag = (
          await this.s3.send(
            new PutObjectCommand({
              Bucket: this.where.bucket,
              Key: this.key(path),
              Body: body,
              ...condition,
            }),
          )
        ).ETag;
      } catch (error) {
        if (path === STATE && isConditionFailed(error))
          throw new StateBackendError(
            `${this.location}${STATE} changed since this command read it: another run wrote it (was this run's lock removed with \`pipeline unlock\`?). Nothing was overwritten; run again to start from the newer state`,
          );
        throw this.unreachable('write the state to', error);
      }
      await this.remember(path, etag ?? createHash('md5').update(body).digest('hex'));
    }
    await this.saveRecord();
    return changed.length;
  }

  private async readLock(): Promise<LockHolder | undefined> {
    let text: string;
    let etag: string;
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: this.where.bucket, Key: this.key(LOCK) }),
      );
      text = (await object.Body?.transformToString()) ?? '';
      etag = (object.ETag ?? '').replace(/"/g, '');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.unreachable('read the lock at', error);
    }
    return lockHolderOf(text, etag);
  }

  private async deleteLock(): Promise<void> {
    await this.guard('remove the lock at', () =>
      this.s3.send(new DeleteObjectCommand({ Bucket: this.where.bucket, Key: this.key(LOCK) })),
    );
  }

  private async tryLock(command: string): Promise<AcquireResult> {
    const holder = newLockHolder(command);
    const where = `${this.location}${LOCK}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.where.bucket,
            Key: this.key(LOCK),
            Body: `${JSON.stringify(holder)}\n`,
            ContentType: 'application/json',
            IfNoneMatch: '*',
          }),
        );
        return {
          ok: true,
          value: {
            holder,
            release: async () => {
              const current = await this.readLock();
              if (current?.id === holder.id) await this.deleteLock();
            },
          },
        };
      } catch (error) {
        if (!isConditionFailed(error)) throw this.unreachable('take the lock at', error);
      }
      const current = await this.readLock();
      if (!current) continue; // released in between: try again
      // Never taken over, even from a holder that looks dead on this host: CI runners in
      // containers share host names and reuse pids, so only `pipeline unlock LOCK_ID` removes it.
      return { ok: false, error: { file: where, holder: current } };
    }
    const current = await this.readLock();
    return { ok: false, error: { file: where, holder: current ?? { ...holder, pid: -1 } } };
  }

  lock(command: string, options?: LockOptions): Promise<AcquireResult> {
    return waitForLock(() => this.tryLock(command), options);
  }

  holder(): Promise<LockHolder | undefined> {
    return this.readLock();
  }

  async unlock(id: string): Promise<Result<LockHolder, string>> {
    const current = await this.readLock();
    if (!current) return { ok: false, error: `${this.location}${LOCK}: no lock is held` };
    if (current.id !== id)
      return { ok: false, error: `the lock is held under id ${current.id ?? '(none)'}, not ${id}` };
    await this.deleteLock();
    return { ok: true, value: current };
  }

  /** Removes the working copy's record of what was synced (state pull/push start afresh). */
  private async forget(): Promise<void> {
    this.record = undefined;
    await rm(this.recordFile, { force: true });
  }

  /**
   * `pipeline state push`: every shared file of the state folder to the prefix. Over a state the
   * prefix holds already only with `replace` (then on the condition that it is the one seen now).
   * The number of files sent.
   */
  async pushEverything(replace: boolean): Promise<number> {
    const existing = (await this.guard('read the state from', () => this.listShared())).objects.get(STATE);
    if (existing !== undefined && !replace)
      throw new StateBackendError(
        `${this.location} holds a state already: \`pipeline state push --force\` replaces it (its run history stays), or \`pipeline state pull\` takes it`,
      );
    await this.forget();
    const record = await this.loadRecord();
    record.stateEtag = existing ?? null;
    // With the record forgotten, every shared file counts as changed.
    return this.push();
  }

  /** `pipeline state pull`: every shared object of the prefix into the state folder. */
  async pullEverything(): Promise<number> {
    const { objects } = await this.guard('read the state from', () => this.listShared());
    if (!objects.has(STATE)) throw new StateBackendError(`${this.location} holds no state to pull`);
    await this.forget();
    // What the local folder holds is replaced by the shared state, not merged with it.
    await rm(join(this.stateDir, STATE), { force: true });
    await this.pull();
    return objects.size;
  }

  private unreachable(what: string, error: unknown): StateBackendError {
    const name = (error as { name?: string } | null)?.name;
    return new StateBackendError(
      `cannot ${what} ${this.location}: ${name ? `${name}: ` : ''}${(error as Error).message}`,
    );
  }

  private async guard<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.unreachable(what, error);
    }
  }
}
