// Copies every object under an S3 prefix into a local folder (a processing job's output, where
// the user asked for it): the folder ends holding exactly what the prefix holds, written through a
// sibling folder and renamed into place, so that an interrupted download never leaves half of it.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isWithin } from '../shared/path-within.js';
import { aws } from './explain-aws-error.js';
import { listObjects } from './remote-listing.js';

/** `s3://bucket/a/b` → bucket and key prefix. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: match[1] as string, prefix: match[2] as string };
}

export async function downloadPrefix(
  s3: S3Client,
  uri: string,
  folder: string,
  signal?: AbortSignal,
): Promise<{ files: number; bytes: number }> {
  const { bucket, prefix } = parseS3Uri(uri);
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const objects = await listObjects({ s3, bucket, prefix: base, ...(signal ? { signal } : {}) });
  const staging = `${folder}.download-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  let bytes = 0;
  for (const object of objects) {
    const file = join(staging, object.key.slice(base.length));
    // A key with `..` in it must not write outside the folder.
    if (!isWithin(staging, file) || file === staging) continue;
    await mkdir(dirname(file), { recursive: true });
    const got = await aws(`downloading s3://${bucket}/${object.key}`, () =>
      s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: object.key }),
        signal ? { abortSignal: signal } : {},
      ),
    );
    await pipeline(got.Body as Readable, createWriteStream(file));
    bytes += object.size;
  }
  await rm(folder, { recursive: true, force: true });
  await mkdir(dirname(folder), { recursive: true });
  await rename(staging, folder);
  return { files: objects.length, bytes };
}
