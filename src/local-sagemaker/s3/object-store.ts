// The local S3's buckets and objects on disk (object-layout.ts), with what makes it behave as S3:
// a write is atomic (a new object's bytes go to a file of their own, renamed into place once
// checked, so no GET ever sees part of one), and a listing is S3's sorted order at the cost of
// its own page. Two caches keep that cost: each prefix folder's sorted keys, and each object's
// description. Both are changed by a write in the same tick as its rename, so they are never
// behind this process's own writes.
import { createHash, randomBytes } from 'node:crypto';
import {
  type BigIntStats,
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { copyFile, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { compareKeys, insertSorted, removeSorted } from './key-order.js';
import { isBucketName, ObjectLayout } from './object-layout.js';
import { noSuchBucket, S3Error } from './s3-error.js';
import type { StoredObject } from './stored-object.js';

export interface Bucket {
  name: string;
  created: Date;
}

/** An object opened for reading: the description is of the very version the handle reads. */
export interface OpenedObject {
  object: StoredObject;
  file: FileHandle;
}

/** A new version of an object, written to its own file, waiting to replace the current one. */
export interface PendingObject {
  file: string;
  /** S3's ETag without quotes (for a multipart object, md5-of-md5s-N). */
  etag: string;
  headers: Record<string, string>;
}

// The metadata file's own entries beside the stored headers (no header name has a colon).
const ETAG = ':etag';
const VERSION = ':version';
/** Which file this is: its inode (reused once freed) and its modification time, in nanoseconds. */
const versionOf = (info: BigIntStats): string => `${info.ino}-${info.mtimeNs}`;
const headersIn = (metadata: Record<string, string> | undefined): Record<string, string> => {
  const headers = Object.fromEntries(
    Object.entries(metadata ?? {}).filter(([name]) => !name.startsWith(':')),
  );
  headers['content-type'] ??= 'binary/octet-stream';
  return headers;
};

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** A bound on the descriptions kept: about 400 bytes an object. */
const MAX_DESCRIPTIONS = 500_000;

export class ObjectStore {
  readonly layout: ObjectLayout;
  /** bucket → (prefix folder, 'a/b/' or '') → every key under it, in S3's order. */
  private readonly sortedKeys = new Map<string, Map<string, string[]>>();
  private readonly descriptions = new Map<string, StoredObject>();
  /** Bumped by every change of an object: a read that saw a change begin keeps nothing. */
  private readonly versions = new Map<string, number>();
  private changes = 0;

  constructor(root: string) {
    this.layout = new ObjectLayout(root);
    mkdirSync(root, { recursive: true });
  }

  // Buckets

  async listBuckets(): Promise<Bucket[]> {
    const names = (await readdir(this.layout.root)).filter(isBucketName).sort();
    const buckets = await Promise.all(names.map((name) => this.bucket(name)));
    return buckets.filter((bucket): bucket is Bucket => bucket !== undefined);
  }

  async bucket(name: string): Promise<Bucket | undefined> {
    if (!isBucketName(name)) return undefined;
    try {
      const info = await stat(this.layout.bucketFolder(name));
      return info.isDirectory() ? { name, created: info.birthtime } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async requireBucket(name: string): Promise<Bucket> {
    const bucket = await this.bucket(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  createBucket(name: string, location: string): void {
    mkdirSync(this.layout.bucketFolder(name), { recursive: true });
    if (location !== '') writeFileSync(this.layout.bucketSetting(name, 'location'), location);
  }

  async bucketLocation(name: string): Promise<string> {
    return readFile(this.layout.bucketSetting(name, 'location'), 'utf8').catch((error) => {
      if (isMissing(error)) return '';
      throw error;
    });
  }

  async deleteBucket(name: string): Promise<void> {
    if (this.keys(name, '').length > 0)
      throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', {
        BucketName: name,
      });
    this.forgetBucket(name);
    await rm(this.layout.bucketFolder(name), { recursive: true, force: true });
  }

  // Listing

  /** Every key starting with prefix's whole folders, in S3's order (UTF-8 binary). */
  keys(bucket: string, prefix: string): readonly string[] {
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    let byFolder = this.sortedKeys.get(bucket);
    if (!byFolder) {
      byFolder = new Map();
      this.sortedKeys.set(bucket, byFolder);
    }
    let keys = byFolder.get(folder);
    if (!keys) {
      keys = this.layout.keysUnder(bucket, folder).sort(compareKeys);
      byFolder.set(folder, keys);
    }
    return keys;
  }

  // Objects

  /** The object's description, or undefined when there is none. */
  async describe(bucket: string, key: string): Promise<StoredObject | undefined> {
    const id = `${bucket}/${key}`;
    const known = this.descriptions.get(id);
    if (known) return known;
    const version = this.versions.get(id);
    const changes = this.changes;
    const read = await this.readDescription(bucket, key);
    // Kept only when nothing changed meanwhile: a write may have renamed the object's file
    // between the reads of its files.
    if (read && this.changes === changes && this.versions.get(id) === version) this.remember(id, read);
    return read;
  }

  /**
   * An object's description from its files. The metadata file names the version of the bytes it
   * describes (the pending file's inode and time, kept by the rename): a read that meets a
   * replacement between its two reads sees two versions and reads again.
   */
  private async readDescription(bucket: string, key: string): Promise<StoredObject | undefined> {
    const objectFile = this.layout.objectFile(bucket, key, 'object');
    for (let attempt = 0; ; attempt++) {
      // Synchronous: a file of a few hundred bytes and a stat, about 15 µs together, where the
      // promise API's five thread-pool round trips made the first listing of 100,000 objects after
      // a start take 11 s (each page describes its 1,000 objects; later listings find them kept).
      let metadata: Record<string, string> | undefined;
      try {
        metadata = JSON.parse(readFileSync(this.layout.objectFile(bucket, key, 'metadata.json'), 'utf8'));
      } catch (error) {
        if (!isMissing(error) && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
      }
      let info: BigIntStats;
      try {
        info = statSync(objectFile, { bigint: true });
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw error;
      }
      const version = metadata?.[VERSION];
      const etag = metadata?.[ETAG];
      if (version === versionOf(info) && etag !== undefined)
        return describeFile(key, info, etag, headersIn(metadata));
      if (version === undefined || attempt === 2) return this.describeLegacy(bucket, key, info, metadata);
    }
  }

  /** An object an older store wrote: its ETag in a file of its own, or (that gone) its MD5. */
  private async describeLegacy(
    bucket: string,
    key: string,
    info: BigIntStats,
    metadata: Record<string, string> | undefined,
  ): Promise<StoredObject> {
    const objectFile = this.layout.objectFile(bucket, key, 'object');
    const md5 = await readFile(this.layout.objectFile(bucket, key, 'object.md5'), 'utf8').catch((error) => {
      if (isMissing(error)) return md5OfFile(objectFile);
      throw error;
    });
    return describeFile(key, info, md5.trim(), headersIn(metadata));
  }

  private remember(id: string, object: StoredObject): void {
    if (this.descriptions.size >= MAX_DESCRIPTIONS) this.descriptions.clear();
    this.descriptions.set(id, object);
  }

  /**
   * Opens the object with a description of the version opened: a write may rename a new file into
   * place between a description's reads and the open.
   */
  async open(bucket: string, key: string): Promise<OpenedObject | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const file = await open(this.layout.objectFile(bucket, key, 'object'), 'r').catch((error) => {
        if (isMissing(error) || error.code === 'ENOTDIR') return undefined;
        throw error;
      });
      if (!file) return undefined;
      const info = await file.stat({ bigint: true });
      const object = await this.describe(bucket, key);
      if (object && object.version === versionOf(info)) return { object, file };
      await file.close();
      this.descriptions.delete(`${bucket}/${key}`);
    }
    // Replaced again and again meanwhile: the version held open is described from itself, with
    // the headers of another version but no checksum of another version's bytes.
    const file = await open(this.layout.objectFile(bucket, key, 'object'), 'r');
    const info = await file.stat({ bigint: true });
    const current = (await this.describe(bucket, key))?.headers ?? {};
    const headers = headersIn(
      Object.fromEntries(Object.entries(current).filter(([name]) => !name.startsWith('x-amz-checksum-'))),
    );
    const hash = createHash('md5');
    for await (const chunk of file.createReadStream({ start: 0, autoClose: false }))
      hash.update(chunk as Buffer);
    return { object: describeFile(key, info, hash.digest('hex'), headers), file };
  }

  /** A file of its own for a new version of the object, beside where the object goes. */
  scratchFile(bucket: string, key: string): string {
    const objectFile = this.layout.objectFile(bucket, key, 'object');
    mkdirSync(dirname(objectFile), { recursive: true });
    return `${objectFile}.partial-${randomBytes(6).toString('hex')}`;
  }

  /** Makes the pending version the object: its metadata, then its bytes, renamed into place. */
  commit(bucket: string, key: string, pending: PendingObject): StoredObject {
    const objectFile = this.layout.objectFile(bucket, key, 'object');
    // Synchronously, so that no read of this process runs between the rename and the caches.
    // (A file of a few bytes: through the thread pool it costs a PUT more than writing it.)
    const metadata = {
      ...pending.headers,
      [ETAG]: pending.etag,
      [VERSION]: versionOf(statSync(pending.file, { bigint: true })),
    };
    writeFileSync(this.layout.objectFile(bucket, key, 'metadata.json'), JSON.stringify(metadata, null, 2));
    rmSync(this.layout.objectFile(bucket, key, 'object.md5'), { force: true });
    renameSync(pending.file, objectFile);
    const object = describeFile(key, statSync(objectFile, { bigint: true }), pending.etag, pending.headers);
    this.changed(bucket, key);
    this.remember(`${bucket}/${key}`, object);
    for (const [folder, keys] of this.sortedKeys.get(bucket) ?? [])
      if (key.startsWith(folder)) insertSorted(keys, key);
    return object;
  }

  /** Copies an object's bytes into a scratch file for the target; its MD5 is computed on the way. */
  async copyToScratch(
    source: OpenedObject,
    bucket: string,
    key: string,
  ): Promise<{ file: string; md5Hex: string }> {
    const file = this.scratchFile(bucket, key);
    try {
      const hash = createHash('md5');
      const input = source.file.createReadStream({ start: 0, autoClose: false });
      input.on('data', (chunk) => hash.update(chunk as Buffer));
      await pipeline(input, createWriteStream(file));
      return { file, md5Hex: hash.digest('hex') };
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
  }

  /** Removes the object; false when there was none. Emptied folders are removed too. */
  delete(bucket: string, key: string): boolean {
    let existed = true;
    for (const file of ['object', 'object.md5', 'metadata.json'] as const) {
      try {
        unlinkSync(this.layout.objectFile(bucket, key, file));
      } catch (error) {
        if (!isMissing(error) && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
        if (file === 'object') existed = false;
      }
    }
    this.changed(bucket, key);
    for (const keys of this.sortedKeys.get(bucket)?.values() ?? []) removeSorted(keys, key);
    for (const folder of this.layout.objectFolders(bucket, key).reverse()) {
      try {
        if (readdirSync(folder).length > 0) break;
        rmdirSync(folder);
      } catch {
        break;
      }
    }
    return existed;
  }

  private changed(bucket: string, key: string): void {
    const id = `${bucket}/${key}`;
    this.changes++;
    this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
    this.descriptions.delete(id);
  }

  private forgetBucket(bucket: string): void {
    this.changes++;
    this.sortedKeys.delete(bucket);
    for (const id of this.descriptions.keys()) if (id.startsWith(`${bucket}/`)) this.descriptions.delete(id);
  }

  /** Copies an object's bytes to a file outside the store (a job's input). */
  async copyOut(bucket: string, key: string, target: string): Promise<void> {
    await copyFile(this.layout.objectFile(bucket, key, 'object'), target);
  }
}

function describeFile(
  key: string,
  info: BigIntStats,
  etag: string,
  headers: Record<string, string>,
): StoredObject {
  return {
    key,
    size: Number(info.size),
    etag: `"${etag}"`,
    lastModified: info.mtime,
    version: versionOf(info),
    headers,
  };
}

async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
