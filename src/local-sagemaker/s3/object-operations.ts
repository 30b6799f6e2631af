// The object operations of the local S3: PutObject (with S3's conditional writes), CopyObject,
// GetObject and HeadObject (ranges, conditional reads, response-header overrides), DeleteObject
// and DeleteObjects.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html

import { rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { headerOf } from './http-header.js';
import type { OpenedObject } from './object-store.js';
import { readSmallBody, receiveBody } from './request-body.js';
import { malformedXml, noSuchBucket, noSuchKey, S3Error } from './s3-error.js';
import { noContent, type S3Answer, type S3Context, type S3Request, xmlAnswer } from './s3-request.js';
import { parseXmlBody, xmlDocument } from './s3-xml.js';
import { checkKey, type StoredObject, storedHeaders } from './stored-object.js';

const CHECKSUM_STORED = /^x-amz-checksum-(crc32|crc32c|sha1|sha256)$/;

/** The headers an object is answered with: its description, stored headers and overrides. */
function objectHeaders(
  object: StoredObject,
  request: S3Request,
  whole: boolean,
): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  // The whole object's checksum, asked for, and only with the whole object.
  const withChecksum =
    whole && headerOf(request.raw.headers, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  for (const [name, value] of Object.entries(object.headers)) {
    if (CHECKSUM_STORED.test(name) && !withChecksum) continue;
    if (name === 'x-amz-storage-class' && value === 'STANDARD') continue;
    headers[name] = value;
  }
  return { ...headers, ...responseOverrides(request.query) };
}

const OVERRIDABLE = new Set([
  'content-type',
  'content-language',
  'expires',
  'cache-control',
  'content-disposition',
  'content-encoding',
]);

/** GetObject's response-* parameters: the header to send instead of the stored one. */
function responseOverrides(query: URLSearchParams): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const [name, value] of query) {
    if (!name.startsWith('response-')) continue;
    const header = name.slice('response-'.length);
    if (!OVERRIDABLE.has(header))
      throw new S3Error(
        'InvalidArgument',
        `${name} is not in the set of overridable response headers. Please refer to the S3 API documentation for a complete list of overridable response headers.`,
        { ArgumentName: name, ArgumentValue: value },
      );
    overrides[header] = value;
  }
  return overrides;
}

const ifMatches = (condition: string, etag: string): boolean =>
  condition
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag.replace(/"/g, '') === etag.replace(/"/g, ''));

/** Date-valued conditions compare whole seconds, as HTTP dates have no finer grain. */
const modifiedSince = (object: StoredObject, date: string): boolean =>
  Math.floor(object.lastModified.getTime() / 1000) > Math.floor(new Date(date).getTime() / 1000);

type ReadCondition = 'not-modified' | 'failed' | 'ok';

/** RFC 7232's order, as S3 applies it: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. */
function readCondition(headers: IncomingHttpHeaders, object: StoredObject, prefix = ''): ReadCondition {
  const header = (name: string) => headerOf(headers, `${prefix}${name}`);
  const ifMatch = header('if-match');
  const ifUnmodifiedSince = header('if-unmodified-since');
  const ifNoneMatch = header('if-none-match');
  const ifModifiedSince = header('if-modified-since');
  if (ifMatch !== undefined && !ifMatches(ifMatch, object.etag)) return 'failed';
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined && modifiedSince(object, ifUnmodifiedSince))
    return 'failed';
  if (ifNoneMatch !== undefined && ifMatches(ifNoneMatch, object.etag)) return 'not-modified';
  if (ifNoneMatch === undefined && ifModifiedSince !== undefined && !modifiedSince(object, ifModifiedSince))
    return 'not-modified';
  return 'ok';
}

const preconditionFailed = (condition: string): S3Error =>
  new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });

/** One byte range as S3 takes it: first-last, first-, or -suffix. Anything else is the whole object. */
function rangeOf(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'whole' | 'unsatisfiable' {
  const match = /^bytes=(\d*)-(\d*)$/.exec((header ?? '').trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'whole';
  const [, first = '', last = ''] = match;
  if (first === '') {
    const suffix = Number(last);
    return suffix === 0 || size === 0
      ? 'unsatisfiable'
      : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return 'whole';
  return start >= size ? 'unsatisfiable' : { start, end };
}

export async function getObject(context: S3Context, request: S3Request): Promise<S3Answer> {
  const versionId = request.query.get('versionId');
  if (versionId !== null && versionId !== 'null')
    throw new S3Error('InvalidArgument', 'Invalid version id specified', {
      ArgumentName: 'versionId',
      ArgumentValue: versionId,
    });
  if (request.query.has('partNumber'))
    throw new S3Error('InvalidArgument', 'partNumber is not supported by the local S3.');
  const opened = await context.store.open(request.bucket, request.key);
  if (!opened) throw noSuchKey(request.key);
  let sent = false;
  try {
    const { object } = opened;
    const condition = readCondition(request.raw.headers, object);
    if (condition === 'failed') throw preconditionFailed('If-Match');
    if (condition === 'not-modified')
      return {
        status: 304,
        headers: { etag: object.etag, 'last-modified': object.lastModified.toUTCString() },
      };
    const range = rangeOf(headerOf(request.raw.headers, 'range'), object.size);
    const headers = objectHeaders(object, request, range === 'whole');
    if (range === 'unsatisfiable')
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', {
        RangeRequested: headerOf(request.raw.headers, 'range') ?? '',
        ActualObjectSize: object.size,
      });
    if (request.method === 'HEAD' || object.size === 0)
      return { status: 200, headers: { ...headers, 'content-length': object.size } };
    // The stream closes the file when it ends or is destroyed.
    sent = true;
    if (range === 'whole')
      return {
        status: 200,
        headers: { ...headers, 'content-length': object.size },
        body: opened.file.createReadStream({ start: 0 }),
      };
    return {
      status: 206,
      headers: {
        ...headers,
        'content-length': range.end - range.start + 1,
        'content-range': `bytes ${range.start}-${range.end}/${object.size}`,
      },
      body: opened.file.createReadStream({ start: range.start, end: range.end }),
    };
  } finally {
    if (!sent) await opened.file.close();
  }
}

/**
 * Conditional writes, as S3 has had them since 2024: `If-None-Match: *` writes only when the key
 * holds no object, `If-Match: ETAG` only when it holds that version (412 PreconditionFailed
 * otherwise, 404 NoSuchKey when there is none). A conditional write that meets another write of
 * the same key still in progress gets 409 ConditionalRequestConflict, as S3 answers it, and the
 * client retries.
 */
export async function conditionalWrite<T>(
  context: S3Context,
  request: S3Request,
  write: () => Promise<T>,
): Promise<T> {
  const ifNoneMatch = headerOf(request.raw.headers, 'if-none-match');
  const ifMatch = headerOf(request.raw.headers, 'if-match');
  const conditional = ifNoneMatch !== undefined || ifMatch !== undefined;
  const id = `${request.bucket}/${request.key}`;
  if (conditional && context.writesInProgress.has(id))
    throw new S3Error(
      'ConditionalRequestConflict',
      'A conflicting conditional operation is currently in progress against this resource. Please try again.',
    );
  context.writesInProgress.set(id, (context.writesInProgress.get(id) ?? 0) + 1);
  try {
    if (conditional) {
      if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*')
        throw new S3Error(
          'NotImplemented',
          'A header you provided implies functionality that is not implemented',
          {
            Header: 'If-None-Match',
          },
        );
      const current = await context.store.describe(request.bucket, request.key);
      if (ifNoneMatch !== undefined && current) throw preconditionFailed('If-None-Match');
      if (ifMatch !== undefined) {
        if (!current) throw noSuchKey(request.key);
        if (!ifMatches(ifMatch, current.etag)) throw preconditionFailed('If-Match');
      }
    }
    return await write();
  } finally {
    const left = (context.writesInProgress.get(id) ?? 1) - 1;
    if (left > 0) context.writesInProgress.set(id, left);
    else context.writesInProgress.delete(id);
  }
}

export async function putObject(context: S3Context, request: S3Request): Promise<S3Answer> {
  checkKey(request.key);
  const { store } = context;
  const headers = storedHeaders(request.raw.headers);
  const object = await conditionalWrite(context, request, async () => {
    const file = store.scratchFile(request.bucket, request.key);
    try {
      const body = await receiveBody(request.raw, file);
      if (body.checksum) headers[`x-amz-checksum-${body.checksum.algorithm}`] = body.checksum.value;
      return store.commit(request.bucket, request.key, { file, etag: body.md5Hex, headers });
    } finally {
      await rm(file, { force: true });
    }
  });
  const answer: Record<string, string> = { etag: object.etag };
  for (const [name, value] of Object.entries(object.headers))
    if (CHECKSUM_STORED.test(name)) answer[name] = value;
  return { status: 200, headers: answer };
}

/** x-amz-copy-source: BUCKET/KEY, URL-encoded, with or without a leading slash. */
function copySourceOf(header: string): { bucket: string; key: string } {
  let text = header;
  const query = text.indexOf('?');
  if (query !== -1) {
    const versionId = new URLSearchParams(text.slice(query + 1)).get('versionId');
    if (versionId !== null && versionId !== 'null')
      throw new S3Error('InvalidArgument', 'Invalid version id specified', {
        ArgumentName: 'x-amz-copy-source',
      });
    text = text.slice(0, query);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(text.replace(/^\//, ''));
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', {
      ArgumentName: 'x-amz-copy-source',
    });
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1)
    throw new S3Error(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      {
        ArgumentName: 'x-amz-copy-source',
        ArgumentValue: header,
      },
    );
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

export async function copyObject(context: S3Context, request: S3Request): Promise<S3Answer> {
  checkKey(request.key);
  const { store } = context;
  const source = copySourceOf(headerOf(request.raw.headers, 'x-amz-copy-source') ?? '');
  if (!(await store.bucket(source.bucket))) throw noSuchBucket(source.bucket);
  const directive = headerOf(request.raw.headers, 'x-amz-metadata-directive') ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE')
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', {
      ArgumentName: 'x-amz-metadata-directive',
      ArgumentValue: directive,
    });
  if (source.bucket === request.bucket && source.key === request.key && directive === 'COPY')
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  const opened: OpenedObject | undefined = await store.open(source.bucket, source.key);
  if (!opened) throw noSuchKey(source.key);
  try {
    const condition = readCondition(request.raw.headers, opened.object, 'x-amz-copy-source-');
    if (condition !== 'ok') throw preconditionFailed('x-amz-copy-source-If');
    const headers =
      directive === 'REPLACE'
        ? storedHeaders(request.raw.headers)
        : Object.fromEntries(
            Object.entries(opened.object.headers).filter(([name]) => !CHECKSUM_STORED.test(name)),
          );
    const object = await conditionalWrite(context, request, async () => {
      const copy = await store.copyToScratch(opened, request.bucket, request.key);
      try {
        return store.commit(request.bucket, request.key, { file: copy.file, etag: copy.md5Hex, headers });
      } finally {
        await rm(copy.file, { force: true });
      }
    });
    return xmlAnswer(
      xmlDocument('CopyObjectResult', { LastModified: object.lastModified.toISOString(), ETag: object.etag }),
    );
  } finally {
    await opened.file.close();
  }
}

export async function deleteObject(context: S3Context, request: S3Request): Promise<S3Answer> {
  const ifMatch = headerOf(request.raw.headers, 'if-match');
  if (ifMatch !== undefined) {
    const current = await context.store.describe(request.bucket, request.key);
    if (!current) throw noSuchKey(request.key);
    if (!ifMatches(ifMatch, current.etag)) throw preconditionFailed('If-Match');
  }
  context.store.delete(request.bucket, request.key);
  return noContent;
}

/** DeleteObjects: up to 1,000 keys; each key deleted, or named among the errors. */
export async function deleteObjects(context: S3Context, request: S3Request): Promise<S3Answer> {
  const document = parseXmlBody(await readSmallBody(request.raw)).Delete as
    | { Object?: { Key?: unknown }[]; Quiet?: string }
    | undefined;
  const objects = document?.Object;
  if (!objects || objects.length === 0 || objects.length > 1000) throw malformedXml();
  const deleted: { Key: string }[] = [];
  const errors: { Key: string; Code: string; Message: string }[] = [];
  for (const object of objects) {
    const key = typeof object.Key === 'string' ? object.Key : '';
    try {
      checkKey(key);
      context.store.delete(request.bucket, key);
      deleted.push({ Key: key });
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      errors.push({ Key: key, Code: error.code, Message: error.message });
    }
  }
  const quiet = document.Quiet === 'true';
  return xmlAnswer(xmlDocument('DeleteResult', { Deleted: quiet ? [] : deleted, Error: errors }));
}
