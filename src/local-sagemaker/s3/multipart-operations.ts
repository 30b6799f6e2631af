// The multipart operations of the local S3: CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload, ListParts and ListMultipartUploads.

import { rm } from 'node:fs/promises';
import { type ChecksumAlgorithm, runningChecksum } from './checksums.js';
import { headerOf } from './http-header.js';
import { compareKeys } from './key-order.js';
import type { NamedPart } from './multipart-uploads.js';
import { conditionalWrite } from './object-operations.js';
import { OWNER } from './owner.js';
import { readSmallBody } from './request-body.js';
import { malformedXml, notImplemented, S3Error } from './s3-error.js';
import { noContent, type S3Answer, type S3Context, type S3Request, xmlAnswer } from './s3-request.js';
import { parseXmlBody, xmlDocument } from './s3-xml.js';
import { checkKey } from './stored-object.js';

export async function createMultipartUpload(context: S3Context, request: S3Request): Promise<S3Answer> {
  checkKey(request.key);
  const uploadId = await context.uploads.begin(request.bucket, request.key, request.raw);
  const algorithm = headerOf(request.raw.headers, 'x-amz-checksum-algorithm');
  return {
    ...xmlAnswer(
      xmlDocument('InitiateMultipartUploadResult', {
        Bucket: request.bucket,
        Key: request.key,
        UploadId: uploadId,
      }),
    ),
    ...(algorithm
      ? { headers: { 'content-type': 'application/xml', 'x-amz-checksum-algorithm': algorithm } }
      : {}),
  };
}

export async function uploadPart(context: S3Context, request: S3Request): Promise<S3Answer> {
  if (request.raw.headers['x-amz-copy-source'] !== undefined) throw notImplemented('UploadPartCopy');
  const part = await context.uploads.uploadPart(
    request.bucket,
    request.key,
    request.query.get('uploadId') as string,
    request.query.get('partNumber'),
    request.raw,
  );
  const headers: Record<string, string> = { etag: `"${part.md5Hex}"` };
  if (part.checksum) headers[`x-amz-checksum-${part.checksum.algorithm}`] = part.checksum.value;
  return { status: 200, headers };
}

/** The parts a CompleteMultipartUpload document names. */
function namedParts(text: string): NamedPart[] {
  const document = parseXmlBody(text).CompleteMultipartUpload as
    | { Part?: Record<string, unknown>[] }
    | undefined;
  const parts = document?.Part;
  if (!parts || parts.length === 0) throw malformedXml();
  return parts.map((part) => {
    const number = Number(part.PartNumber);
    if (!Number.isInteger(number) || typeof part.ETag !== 'string') throw malformedXml();
    const checksumName = Object.keys(part).find((name) => /^Checksum(CRC32|CRC32C|SHA1|SHA256)$/.test(name));
    return { number, etag: part.ETag, checksum: checksumName ? String(part[checksumName]) : undefined };
  });
}

/** S3's checksum of a multipart object: the checksum of its parts' checksums, a dash, their count. */
function compositeChecksum(
  algorithm: string,
  partChecksums: readonly (string | undefined)[],
): string | undefined {
  if (partChecksums.some((value) => value === undefined)) return undefined;
  const checksum = runningChecksum(algorithm as ChecksumAlgorithm);
  for (const value of partChecksums) checksum.update(Buffer.from(value as string, 'base64'));
  return `${checksum.digest()}-${partChecksums.length}`;
}

export async function completeMultipartUpload(context: S3Context, request: S3Request): Promise<S3Answer> {
  const uploadId = request.query.get('uploadId') as string;
  const named = namedParts(await readSmallBody(request.raw));
  // Refusals with a status of their own (no such upload, a wrong part) come before the answer.
  const checked = await context.uploads.check(request.bucket, request.key, uploadId, named);
  const location = `http://${request.raw.headers.host ?? '127.0.0.1'}/${request.bucket}/${encodeURIComponent(request.key).replace(/%2F/g, '/')}`;
  let conditionsMet!: () => void;
  const begun = new Promise<void>((resolve) => {
    conditionsMet = resolve;
  });
  const work = conditionalWrite(context, request, async () => {
    conditionsMet();
    const pending = await context.uploads.assemble(request.bucket, request.key, checked);
    const algorithm = checked.checksum;
    const checksum =
      algorithm &&
      compositeChecksum(
        algorithm,
        checked.parts.map((part) => part.checksum),
      );
    if (algorithm && checksum) pending.headers[`x-amz-checksum-${algorithm}`] = checksum;
    try {
      const object = context.store.commit(request.bucket, request.key, pending);
      await context.uploads.finish(checked.folder);
      return xmlDocument('CompleteMultipartUploadResult', {
        Location: location,
        Bucket: request.bucket,
        Key: request.key,
        ETag: object.etag,
        ...(algorithm && checksum ? { [`Checksum${algorithm.toUpperCase()}`]: checksum } : {}),
      });
    } finally {
      await rm(pending.file, { force: true });
    }
  });
  // A refused condition (If-None-Match, If-Match) is answered with its own status too.
  await Promise.race([begun, work]);
  return { whileWorking: work };
}

export async function abortMultipartUpload(context: S3Context, request: S3Request): Promise<S3Answer> {
  await context.uploads.abort(request.bucket, request.key, request.query.get('uploadId') as string);
  return noContent;
}

function boundedNumber(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const given = query.get(name);
  if (given === null) return fallback;
  const value = /^\d+$/.test(given) ? Number(given) : Number.NaN;
  if (!Number.isSafeInteger(value))
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, {
      ArgumentName: name,
      ArgumentValue: given,
    });
  return Math.min(value, max);
}

export async function listParts(context: S3Context, request: S3Request): Promise<S3Answer> {
  const uploadId = request.query.get('uploadId') as string;
  const maxParts = boundedNumber(request.query, 'max-parts', 1000, 1000);
  const marker = boundedNumber(request.query, 'part-number-marker', 0, 10_000);
  const all = (await context.uploads.parts(request.bucket, request.key, uploadId)).filter(
    (part) => part.number > marker,
  );
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  return xmlAnswer(
    xmlDocument('ListPartsResult', {
      Bucket: request.bucket,
      Key: request.key,
      UploadId: uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.at(-1)?.number ?? marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((part) => ({
        PartNumber: part.number,
        LastModified: part.lastModified.toISOString(),
        ETag: `"${part.md5Hex}"`,
        Size: part.size,
      })),
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
    }),
  );
}

export async function listMultipartUploads(context: S3Context, request: S3Request): Promise<S3Answer> {
  const { query } = request;
  if (query.has('delimiter')) throw notImplemented('ListMultipartUploads with a delimiter');
  const prefix = query.get('prefix') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const uploadIdMarker = query.get('upload-id-marker') ?? '';
  const maxUploads = boundedNumber(query, 'max-uploads', 1000, 1000);
  const uploads = (await context.uploads.list(request.bucket)).filter((upload) => {
    if (!upload.key.startsWith(prefix)) return false;
    if (keyMarker === '') return true;
    if (upload.key !== keyMarker) return compareKeys(upload.key, keyMarker) > 0;
    return uploadIdMarker !== '' && upload.uploadId > uploadIdMarker;
  });
  const page = uploads.slice(0, maxUploads);
  const last = page.at(-1);
  const truncated = uploads.length > page.length;
  return xmlAnswer(
    xmlDocument('ListMultipartUploadsResult', {
      Bucket: request.bucket,
      KeyMarker: keyMarker,
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: truncated ? last?.key : undefined,
      NextUploadIdMarker: truncated ? last?.uploadId : undefined,
      Prefix: prefix,
      MaxUploads: maxUploads,
      IsTruncated: truncated,
      Upload: page.map((upload) => ({
        Key: upload.key,
        UploadId: upload.uploadId,
        Initiator: OWNER,
        Owner: OWNER,
        StorageClass: 'STANDARD',
        Initiated: upload.initiated.toISOString(),
      })),
    }),
  );
}
