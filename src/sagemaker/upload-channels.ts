// Uploads the data channels to s3://bucket/prefix/CHANNEL/. A file whose content and remote
// object are both as last sent is not sent again; large files go multipart with parts in
// parallel (multipart-upload.ts, which aborts the multipart upload when it fails: no orphan
// parts); small files go many at a time. Objects under a channel's prefix that are no longer in
// the local data are deleted, or the training job would read them too.
import { setMaxListeners } from 'node:events';
import { stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { LocalChannel } from '../engine/graph/stage-graph.js';
import type { FileFacts, FileHasher } from '../engine/plan/file-hasher.js';
import { hashJson } from '../shared/canonical-json.js';
import { StageError } from '../shared/errors.js';
import { inParallel } from '../shared/in-parallel.js';
import { readJsonFile, writeJsonFile } from '../shared/json-file.js';
import { BrokenLinkError, listFiles } from '../shared/list-files.js';
import { formatBytes, ProgressMeter } from '../shared/progress-meter.js';
import { readWholeFile } from '../shared/read-whole-file.js';
import { relativeKey } from '../shared/relative-key.js';
import type { AwsConnection } from './aws-connection.js';
import { isNotFound } from './aws-errors.js';
import { type Receipts, receiptId, receiptsFileOf, remoteDigestOf } from './channel-receipts.js';
import { channelPrefixOf } from './data-location.js';
import { aws, explainAwsError } from './explain-aws-error.js';
import { uploadMultipart } from './multipart-upload.js';
import { listObjects, rangeBounds } from './remote-listing.js';
import { abortStaleUploads } from './stale-uploads.js';

/** Files from this size go multipart, in parts of PART_SIZE, QUEUE_SIZE at a time. */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 10;
/** Small files sent at once. */
const SMALL_FILE_CONCURRENCY = 16;

/** What was last sent for an S3 key: the local content and the object it became. */
interface SentObject {
  sha256: string;
  size: number;
  etag: string;
}
type Manifest = Record<string, SentObject>;

export interface UploadRequest {
  connection: AwsConnection;
  bucket: string;
  prefix: string;
  channels: Record<string, LocalChannel>;
  projectDir: string;
  /** Remembers what was sent, per bucket and key, across runs (and failed runs). */
  manifestFile: string;
  /** The target local may create its bucket; on AWS a missing bucket is the user's to fix. */
  createBucket: boolean;
  hasher: FileHasher;
  step(title: string): void;
  progress(text: string): void;
  log(line: string): void;
  signal: AbortSignal;
}

// A type, not an interface: stage outputs must be plain JSON values.
export type ChannelUpload = {
  s3Uri: string;
  files: number;
  bytes: number;
  /** Of every key and its content: what the training job will read. */
  contentHash: string;
};

export interface UploadResult {
  channels: Record<string, ChannelUpload>;
  bytesSent: number;
  filesSent: number;
  filesUnchanged: number;
  objectsDeleted: number;
}

interface LocalFile {
  path: string;
  key: string;
  size: number;
  sha256: string;
}

async function listLocalFiles(root: string): Promise<string[]> {
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new StageError(`the data path ${root} does not exist`);
  if (!info.isDirectory()) return [root];
  try {
    return await listFiles(root, { skipHidden: true });
  } catch (error) {
    if (error instanceof BrokenLinkError) {
      throw new StageError(`${error.message}: fix or remove the link, or the channel cannot be sent`);
    }
    throw error;
  }
}

/**
 * The bucket exists, or is made (`create`: the target local's S3 starts empty); on AWS a missing
 * bucket is the user's to make.
 */
export async function ensureBucket(
  connection: AwsConnection,
  bucket: string,
  create: boolean,
): Promise<void> {
  const { s3 } = connection;
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    if (!isNotFound(error)) throw explainAwsError(error, `reaching the bucket ${bucket}`);
    if (!create) {
      throw new StageError(
        `the bucket ${bucket} does not exist (or is not in ${connection.region})`,
        'Create it, or set aws.bucket to a bucket this account can write to.',
      );
    }
  }
  await aws(`creating the bucket ${bucket}`, () => s3.send(new CreateBucketCommand({ Bucket: bucket })));
}

export async function uploadChannels(request: UploadRequest): Promise<UploadResult> {
  const { s3 } = request.connection;
  request.step(`checking the bucket ${request.bucket}`);
  await ensureBucket(request.connection, request.bucket, request.createBucket);
  request.step('aborting uploads an interrupted run left unfinished');
  for (const name of Object.keys(request.channels)) {
    await abortStaleUploads(
      request.connection,
      request.bucket,
      channelPrefixOf(request.prefix, name),
      request.log,
    );
  }

  // The manifest (every key ever sent) is read only for a channel compared file by file.
  let manifests: Record<string, Manifest> | undefined;
  const manifestOf = async (): Promise<Manifest> => {
    manifests ??= await readJsonFile<Record<string, Manifest>>(request.manifestFile, {});
    manifests[request.bucket] ??= {};
    return manifests[request.bucket] as Manifest;
  };
  const saveManifest = async () => {
    if (manifests) await writeJsonFile(request.manifestFile, manifests);
  };
  const receiptsFile = receiptsFileOf(request.manifestFile);
  // None yet, or damaged: every channel is compared file by file, as before receipts.
  const receipts = await readJsonFile<Receipts>(receiptsFile, {});

  const channels: Record<string, ChannelUpload> = {};
  const toSend: LocalFile[] = [];
  const toDelete: string[] = [];
  /** Channels compared file by file: their receipts, once what they need is sent. */
  const compared: { id: string; stamp: string; keys: string[]; sizes: number[]; upload: ChannelUpload }[] =
    [];
  let unchanged = 0;
  for (const [name, channel] of Object.entries(request.channels)) {
    const channelPrefix = channelPrefixOf(request.prefix, name);
    const s3Uri = `s3://${request.bucket}/${channelPrefix}`;
    const root = join(request.projectDir, channel.path);
    const paths = await listLocalFiles(root);
    const rootIsFolder = !(paths.length === 1 && paths[0] === root);
    const keys = paths.map(
      (path) =>
        `${channelPrefix}${rootIsFolder ? relativeKey(root, path) : (path.split(sep).pop() as string)}`,
    );
    request.step(`comparing ${name} with ${s3Uri}`);
    // The listing and the local files' stats overlap.
    const [remote, stated] = await Promise.all([
      listObjects({
        s3: request.connection.s3,
        bucket: request.bucket,
        prefix: channelPrefix,
        expectedKeys: keys,
        signal: request.signal,
      }),
      request.hasher.statFiles(paths, keys),
    ]);
    const id = receiptId(request.bucket, channelPrefix, root);
    const receipt = receipts[id];
    if (receipt && receipt.localStamp === stated.stamp && receipt.remoteDigest === remoteDigestOf(remote)) {
      const { files, bytes, contentHash } = receipt;
      channels[name] = { s3Uri, files, bytes, contentHash };
      unchanged += files;
      continue;
    }
    const local = await request.hasher.hashesOf(stated);
    const gone = local.indexOf(null);
    // Gone since it was listed: the system's own error names it, as a stat of it always did.
    if (gone >= 0)
      throw await stat(paths[gone] as string).then(
        () => new Error(`${paths[gone]} changed while it was read`),
        (error: unknown) => error,
      );
    const manifest = await manifestOf();
    const remoteByKey = new Map(remote.map((object) => [object.key, object]));
    const contents: Record<string, string> = {};
    const sizes: number[] = [];
    let bytes = 0;
    for (const [index, path] of paths.entries()) {
      const key = keys[index] as string;
      const { size, sha256 } = local[index] as FileFacts;
      sizes.push(size);
      bytes += size;
      contents[key] = sha256;
      const sent = manifest[key];
      const there = remoteByKey.get(key);
      if (sent && there && sent.sha256 === sha256 && sent.etag === there.etag && there.size === size)
        unchanged++;
      else toSend.push({ path, key, size, sha256 });
    }
    const expected = new Set(keys);
    for (const { key } of remote) if (!expected.has(key)) toDelete.push(key);
    channels[name] = { s3Uri, files: paths.length, bytes, contentHash: `sha256:${hashJson(contents)}` };
    compared.push({ id, stamp: stated.stamp, keys, sizes, upload: channels[name] });
  }

  // Only a channel compared file by file has anything to send or delete.
  const manifest: Manifest = compared.length > 0 ? await manifestOf() : {};
  // Every request in flight listens to the run's abort signal.
  setMaxListeners(SMALL_FILE_CONCURRENCY + QUEUE_SIZE + 16, request.signal);
  const total = toSend.reduce((sum, file) => sum + file.size, 0);
  const meter = new ProgressMeter({ bytes: total, items: toSend.length, unit: 'files' });
  let done = 0;
  if (toSend.length > 0)
    request.step(`uploading ${toSend.length.toLocaleString('en-US')} file${toSend.length === 1 ? '' : 's'}`);
  /** Bytes sent (a part, or a small file), and a file when one is complete. */
  const progress = (bytes: number, files = 0) => {
    done += bytes;
    meter.add(bytes, files);
    if (meter.due()) request.progress(meter.describe());
  };

  const sendSmall = async (file: LocalFile) => {
    const body = await readWholeFile(file.path, file.size);
    const answer = await aws(`uploading ${file.key}`, () =>
      s3.send(new PutObjectCommand({ Bucket: request.bucket, Key: file.key, Body: body }), {
        abortSignal: request.signal,
      }),
    );
    manifest[file.key] = { sha256: file.sha256, size: file.size, etag: answer.ETag ?? '' };
    progress(file.size, 1);
  };
  const sendLarge = async (file: LocalFile) => {
    const etag = await aws(`uploading ${file.key} (multipart)`, () =>
      uploadMultipart({
        s3,
        bucket: request.bucket,
        key: file.key,
        path: file.path,
        size: file.size,
        partSize: PART_SIZE,
        concurrency: QUEUE_SIZE,
        signal: request.signal,
        onProgress: (bytes) => progress(bytes),
      }),
    );
    manifest[file.key] = { sha256: file.sha256, size: file.size, etag };
    progress(0, 1);
  };

  try {
    const large = toSend.filter((file) => file.size >= MULTIPART_THRESHOLD);
    const small = toSend.filter((file) => file.size < MULTIPART_THRESHOLD);
    // Each large file already sends QUEUE_SIZE parts at once; the small ones share a pool.
    await Promise.all([
      inParallel(large, 1, sendLarge),
      inParallel(small, SMALL_FILE_CONCURRENCY, sendSmall),
    ]);
  } finally {
    // What did reach S3 is remembered even when the upload as a whole failed; with nothing sent
    // there is nothing new to remember (at 100,000 files the manifest is 18 MB to write).
    if (toSend.length > 0) await saveManifest();
  }

  for (let i = 0; i < toDelete.length; i += 1000) {
    const batch = toDelete.slice(i, i + 1000);
    request.step(`deleting ${batch.length} objects no longer in the data`);
    await aws('deleting objects no longer in the data', () =>
      s3.send(
        new DeleteObjectsCommand({
          Bucket: request.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      ),
    );
    for (const key of batch) delete manifest[key];
  }
  if (toDelete.length > 0) await saveManifest();

  // What each compared channel left: its files as sent, its prefix as the manifest says it is now.
  if (compared.length > 0) {
    for (const { id, stamp, keys, sizes, upload } of compared) {
      const left = keys.map((key, index) => ({
        key,
        etag: manifest[key]?.etag ?? '',
        size: sizes[index] ?? 0,
      }));
      const { files, bytes, contentHash } = upload;
      receipts[id] = {
        localStamp: stamp,
        remoteDigest: remoteDigestOf(left),
        files,
        bytes,
        contentHash,
        rangeBounds: rangeBounds(keys),
      };
    }
    await writeJsonFile(receiptsFile, receipts);
  }

  request.log(
    `sent ${formatBytes(done)} in ${toSend.length} files; ${unchanged} unchanged; ${toDelete.length} deleted`,
  );
  return {
    channels,
    bytesSent: done,
    filesSent: toSend.length,
    filesUnchanged: unchanged,
    objectsDeleted: toDelete.length,
  };
}
