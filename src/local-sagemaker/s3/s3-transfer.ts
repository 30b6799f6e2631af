// Moves job data between S3 and a job folder, as SageMaker does: a channel's S3 prefix becomes
// input/data/CHANNEL with the key tree kept; the model folder becomes one model.tar.gz (or, left
// uncompressed, its files under a prefix); a manifest's objects become a channel.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { create as createTar } from 'tar';
import { inParallel } from '../../shared/in-parallel.js';
import { listFiles } from '../../shared/list-files.js';
import { isWithin } from '../../shared/path-within.js';

export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Uri(uri: string): S3Location {
  const match = uri.match(/^s3:\/\/([^/]+)\/?(.*)$/);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/**
 * The local S3's objects as the process that serves them sees them: SageMaker reads a channel
 * inside AWS, not through the public API, and so does the local one. Through HTTP, a channel of
 * 5,000 small files took 13.5 s to download, the S3 server and its client sharing one thread.
 */
export interface StoredObjects {
  /** Up to 1,000 keys under prefix after startAfter, in S3's order; truncated when more follow. */
  list(bucket: string, prefix: string, startAfter: string): Promise<{ keys: string[]; truncated: boolean }>;
  /** Writes the object's bytes to target. */
  copyTo(bucket: string, key: string, target: string): Promise<void>;
}

/** Whether any object is under an S3 URI (a bucket that is not there holds none). */
export async function hasObjectsUnder(s3: S3Client, uri: string): Promise<boolean> {
  const { bucket, key } = parseS3Uri(uri);
  return s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 })).then(
    (page) => (page.KeyCount ?? page.Contents?.length ?? 0) > 0,
    (error: { name?: string }) => {
      if (error.name === 'NoSuchBucket') return false;
      throw error;
    },
  );
}

/** Objects copied at once: a channel of many small files is bound by round trips, not bytes. */
const DOWNLOAD_CONCURRENCY = 16;

/** Downloads every object under the prefix into dir, keeping the key tree; returns the count. */
/**
 * Host `index` of `count` (ShardedByS3Key): of the objects in key order, every count-th from the
 * index-th, so that each host gets 1/count of them and together they get each object once.
 */
export interface Shard {
  index: number;
  count: number;
}

const inShard = (position: number, shard: Shard | undefined): boolean =>
  shard === undefined || position % shard.count === shard.index;

export async function downloadPrefix(
  objects: StoredObjects,
  uri: string,
  dir: string,
  shard?: Shard,
): Promise<number> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  await mkdir(dir, { recursive: true });
  let count = 0;
  let position = 0;
  const made = new Set<string>();
  let startAfter = '';
  // A page (up to 1,000 keys) at a time, so memory stays flat however many files the channel has.
  for (;;) {
    const page = await objects.list(bucket, prefix, startAfter);
    const keys = page.keys.filter((key) => !key.endsWith('/')).filter(() => inShard(position++, shard));
    await inParallel(keys, DOWNLOAD_CONCURRENCY, async (key) => {
      // A prefix that names one object (s3://b/data.csv) gives that file its own name.
      const relativeKey =
        key === prefix ? (prefix.split('/').at(-1) as string) : key.slice(prefix.length).replace(/^\/+/, '');
      const target = join(dir, relativeKey);
      const folder = dirname(target);
      if (!made.has(folder)) {
        await mkdir(folder, { recursive: true });
        made.add(folder);
      }
      await objects.copyTo(bucket, key, target);
      count++;
    });
    const last = page.keys.at(-1);
    if (!page.truncated || last === undefined) return count;
    startAfter = last;
  }
}

async function listEntries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((name) => name !== '.gitkeep').sort();
}

/** Packs dir's content (entries at the archive root) into a .tar.gz and uploads it; false if dir is empty. */
export async function uploadFolderAsTarGz(
  s3: S3Client,
  dir: string,
  uri: string,
  scratch: string,
): Promise<boolean> {
  const entries = await listEntries(dir);
  if (entries.length === 0) return false;
  const archive = join(scratch, `${relative(dirname(dir), dir).replaceAll('/', '-')}.tar.gz`);
  await mkdir(dirname(archive), { recursive: true });
  await createTar({ gzip: true, cwd: dir, file: archive, portable: true }, entries);
  const { bucket, key } = parseS3Uri(uri);
  const body = await readFile(archive);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }));
  return true;
}

/** Uploads dir's files under a prefix, keeping their paths (a model left uncompressed); false if none. */
export async function uploadFolder(s3: S3Client, dir: string, prefixUri: string): Promise<boolean> {
  const files = (await listFiles(dir).catch(() => [] as string[]))
    .map((file) => relative(dir, file))
    .filter((file) => file !== '.gitkeep');
  await uploadFiles(s3, dir, files, prefixUri);
  return files.length > 0;
}

/** Uploads some of dir's files (paths relative to it) under a prefix, keeping their paths. */
export async function uploadFiles(
  s3: S3Client,
  dir: string,
  files: readonly string[],
  prefixUri: string,
): Promise<void> {
  const { bucket, key: prefix } = parseS3Uri(prefixUri);
  await inParallel(files, DOWNLOAD_CONCURRENCY, async (file) => {
    const body = await readFile(join(dir, file));
    const Key = `${prefix}${file.split(sep).join('/')}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body, ContentLength: body.length }));
  });
}

/**
 * Downloads the objects a SageMaker manifest file names into dir, at their paths relative to the
 * manifest's prefix: `[{"prefix": "s3://bucket/path/"}, "relative/key", ...]` (S3DataType
 * ManifestFile). Returns the count; a manifest not in that form, or naming an object that is not
 * there, is an error that says so.
 */
export async function downloadManifest(
  objects: StoredObjects,
  manifestUri: string,
  dir: string,
  scratch: string,
  shard?: Shard,
): Promise<number> {
  const { bucket, key } = parseS3Uri(manifestUri);
  await mkdir(scratch, { recursive: true });
  const copy = join(scratch, 'manifest.json');
  await objects.copyTo(bucket, key, copy).catch(() => {
    throw new Error(`the manifest file ${manifestUri} does not exist`);
  });
  let entries: unknown;
  try {
    entries = JSON.parse(await readFile(copy, 'utf8'));
  } catch {
    throw new Error(`the manifest file ${manifestUri} is not JSON`);
  }
  const [head, ...paths] = Array.isArray(entries) ? entries : [];
  const prefix = (head as { prefix?: unknown } | undefined)?.prefix;
  if (
    typeof prefix !== 'string' ||
    !prefix.startsWith('s3://') ||
    !paths.every((path) => typeof path === 'string')
  )
    throw new Error(
      `the manifest file ${manifestUri} is not a SageMaker manifest: [{"prefix": "s3://bucket/path/"}, "relative/key", ...]`,
    );
  const source = parseS3Uri(prefix);
  await mkdir(dir, { recursive: true });
  const mine = (paths as string[]).filter((_, position) => inShard(position, shard));
  await inParallel(mine, DOWNLOAD_CONCURRENCY, async (path) => {
    const target = join(dir, path);
    if (!isWithin(dir, target))
      throw new Error(`the manifest file ${manifestUri} names ${path}, outside its prefix`);
    await mkdir(dirname(target), { recursive: true });
    await objects.copyTo(source.bucket, `${source.key}${path}`, target).catch(() => {
      throw new Error(`the manifest file ${manifestUri} names ${prefix}${path}, which does not exist`);
    });
  });
  return mine.length;
}

/**
 * A job's input into dir: the objects under an S3 prefix, or those a manifest file names (its
 * copy kept in `scratch`); `shard` the host's share of them.
 */
export function downloadInput(
  objects: StoredObjects,
  source: { S3Uri: string; S3DataType?: string },
  dir: string,
  scratch: string,
  shard?: Shard,
): Promise<number> {
  return source.S3DataType === 'ManifestFile'
    ? downloadManifest(objects, source.S3Uri, dir, scratch, shard)
    : downloadPrefix(objects, source.S3Uri, dir, shard);
}
