// One store for the local SageMaker's resources of several kinds (models, endpoint configs,
// endpoints): a JSON record per resource in a folder per kind, named by its lower-case name (names
// are unique regardless of case on SageMaker), its ARN, SageMaker's answers for a missing or an
// existing one, creates of a kind one at a time, tags removed with their resource, and the
// records kept in memory as this process (their only writer) last wrote or read them.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import { ACCOUNT, resourceOfArn } from './account.js';
import { validation } from './aws-error.js';
import { pathInside } from './store-path.js';

/** How a kind of resource is named: in its ARN, and in SageMaker's "not found" answer. */
export interface ResourceKind {
  arn: string;
  missing: string;
}

/** Where the tags of resources are kept: a resource's go with it. */
export interface ResourceTags {
  remove(arn: string): Promise<void>;
}

export class ResourceStore<K extends string> {
  /** The store's records as last written or read, by file (see `load`), and how often each changed. */
  private readonly records = new Map<string, string>();
  private readonly changes = new Map<string, number>();
  /** Saves of a record under way: a read meanwhile may see the file before or after the rename. */
  private readonly saving = new Map<string, number>();

  constructor(
    private readonly dir: string,
    private readonly region: string,
    private readonly kinds: Record<K, ResourceKind>,
    private readonly tags: ResourceTags,
    /** Told of each record written (and of one erased, with none), once it is on disk. */
    private readonly written?: (kind: K, name: string, record: unknown) => void,
  ) {}

  arn(kind: K, name: string): string {
    return `arn:aws:sagemaker:${this.region}:${ACCOUNT}:${this.kinds[kind].arn}/${name.toLowerCase()}`;
  }

  /** Whether the ARN names a resource of this store. */
  async arnExists(arn: string): Promise<boolean> {
    const resource = resourceOfArn(arn);
    const kind = (Object.keys(this.kinds) as K[]).find((k) => this.kinds[k].arn === resource?.kind);
    if (!resource || !kind) return false;
    return (await this.load(kind, resource.name)) !== undefined && arn === this.arn(kind, resource.name);
  }

  /** Names are unique regardless of case on SageMaker: the file is named by the lower-case name. */
  private file(kind: K, name: string): string {
    return pathInside(join(this.dir, kind), `${name.toLowerCase()}.json`);
  }

  async load<T>(kind: K, name: string): Promise<T | undefined> {
    // Every invocation routes by its endpoint's record: kept in memory as this process wrote or
    // read it (it is the store's only writer), parsed anew so that callers may change their copy.
    const key = this.file(kind, name);
    const kept = this.records.get(key);
    if (kept !== undefined) return JSON.parse(kept) as T;
    // A save or an erase under way when the read starts, or begun while it runs (each counts a
    // change first), may make what was read stale: it is not kept then (a read that ended after a
    // save had kept the old record for good).
    const changes = this.changes.get(key) ?? 0;
    const keepable = !this.saving.get(key);
    for (const file of new Set([key, pathInside(join(this.dir, kind), `${name}.json`)])) {
      try {
        const text = await readFile(file, 'utf8');
        const record = JSON.parse(text) as T;
        if (file === key && keepable && (this.changes.get(key) ?? 0) === changes) this.records.set(key, text);
        return record;
      } catch {
        // Not there under this name: a store written before names were lower-cased may have it.
      }
    }
    return undefined;
  }

  /** Saves a record, after any save, update or erase of it already asked for. */
  save(kind: K, name: string, value: unknown): Promise<void> {
    return this.serially(this.file(kind, name), () => this.write(kind, name, value));
  }

  /**
   * Reads, changes and saves a record as one step: no save or erase of it runs in between, and a
   * record erased before it is not brought back (`change` is not called). `change` returns the
   * record to save, or undefined to leave it as it is; the answer is the record as it then is.
   */
  update<T>(
    kind: K,
    name: string,
    change: (record: T) => T | undefined | Promise<T | undefined>,
  ): Promise<T | undefined> {
    return this.serially(this.file(kind, name), async () => {
      const current = await this.load<T>(kind, name);
      if (current === undefined) return undefined;
      const changed = await change(current);
      if (changed === undefined) return current;
      await this.write(kind, name, changed);
      return changed;
    });
  }

  /** `update` of a record that must exist: SageMaker's answer for a missing one otherwise. */
  async mustUpdate<T>(kind: K, name: string, change: (record: T) => T | Promise<T>): Promise<T> {
    const updated = await this.update<T>(kind, name, change);
    if (updated === undefined) throw this.missing(kind, name);
    return updated;
  }

  private async write(kind: K, name: string, value: unknown): Promise<void> {
    await mkdir(join(this.dir, kind), { recursive: true });
    const key = this.file(kind, name);
    const text = `${JSON.stringify(value, null, 2)}\n`;
    const change = this.changed(key);
    await this.writing(key, () => writeFileAtomic(key, text));
    // A later save or erase begun meanwhile decides what the file holds: then nothing is kept.
    if (this.changes.get(key) === change) this.records.set(key, text);
    this.written?.(kind, name, value);
  }

  /** Saves, updates and erases of one record, one after another, in the order asked. */
  private readonly queues = new Map<string, Promise<unknown>>();

  private serially<T>(key: string, work: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(key) ?? Promise.resolve()).then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  /** Runs a write or removal of a record's file, counted as under way meanwhile. */
  private async writing(key: string, work: () => Promise<void>): Promise<void> {
    this.saving.set(key, (this.saving.get(key) ?? 0) + 1);
    try {
      await work();
    } finally {
      const left = (this.saving.get(key) ?? 1) - 1;
      if (left > 0) this.saving.set(key, left);
      else this.saving.delete(key);
    }
  }

  /** A record is being written or removed: what is kept of it, or being read, is stale. */
  private changed(key: string): number {
    const change = (this.changes.get(key) ?? 0) + 1;
    this.changes.set(key, change);
    this.records.delete(key);
    return change;
  }

  async erase(kind: K, name: string): Promise<void> {
    const key = this.file(kind, name);
    await this.serially(key, async () => {
      this.changed(key);
      await this.writing(key, () => rm(key, { force: true }));
      await rm(pathInside(join(this.dir, kind), `${name}.json`), { force: true });
      this.written?.(kind, name, undefined);
    });
    await this.tags.remove(this.arn(kind, name));
  }

  async loadAll<T>(kind: K): Promise<T[]> {
    const files = await readdir(join(this.dir, kind)).catch(() => [] as string[]);
    const all = await Promise.all(
      files.filter((f) => f.endsWith('.json')).map((f) => this.load<T>(kind, f.slice(0, -5))),
    );
    return all.filter((item): item is Awaited<T> & T => item !== undefined);
  }

  async mustLoad<T>(kind: K, name: string): Promise<T> {
    const value = await this.load<T>(kind, name);
    if (!value) throw this.missing(kind, name);
    return value;
  }

  /** SageMaker answers a missing model, config or endpoint with a ValidationException. */
  private missing(kind: K, name: string): Error {
    return validation(`${this.kinds[kind].missing} "${this.arn(kind, name)}".`);
  }

  /** Creates of one kind, one at a time: two of one name at once would both find it free. */
  private readonly creating = new Map<K, Promise<unknown>>();

  exclusively<T>(kind: K, create: () => Promise<T>): Promise<T> {
    const previous = this.creating.get(kind) ?? Promise.resolve();
    const next = previous.then(create, create);
    this.creating.set(
      kind,
      next.catch(() => undefined),
    );
    return next;
  }

  async mustNotExist(kind: K, name: string, what: string): Promise<void> {
    if (await this.load(kind, name))
      throw validation(`Cannot create already existing ${what} "${this.arn(kind, name)}".`);
  }
}
