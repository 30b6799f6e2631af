// What S3 keeps with an object besides its bytes: the headers of its PUT that it stores and sends
// back on every GET (its content type, encoding, …, and the user's x-amz-meta-*), and its ETag.
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './s3-error.js';

/** An object as a GET, a HEAD and a listing describe it. */
export interface StoredObject {
  key: string;
  size: number;
  /** Quoted, as S3 sends it: "md5" or, for a multipart object, "md5-of-md5s-N". */
  etag: string;
  lastModified: Date;
  /** Which version of the object's file this description is of. */
  version: string;
  /** The stored headers, lower-case. */
  headers: Readonly<Record<string, string>>;
}

/** The headers S3 stores with an object and returns on a GET. */
const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-type',
  'expires',
  'x-amz-storage-class',
  'x-amz-website-redirect-location',
];

const STORAGE_CLASSES = new Set([
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
  'EXPRESS_ONEZONE',
]);

/** S3 refuses user metadata over 2 KB (names and values of x-amz-meta-*, as UTF-8). */
const MAX_USER_METADATA_BYTES = 2048;

/** The headers of a PUT (or of a multipart upload's start) that are stored with the object. */
export function storedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const stored: Record<string, string> = {};
  let userBytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    if (name.startsWith('x-amz-meta-')) {
      stored[name] = text;
      userBytes += Buffer.byteLength(name.slice('x-amz-meta-'.length)) + Buffer.byteLength(text);
    } else if (STORED_HEADERS.includes(name)) stored[name] = text;
  }
  const storageClass = stored['x-amz-storage-class'];
  if (storageClass !== undefined && !STORAGE_CLASSES.has(storageClass))
    throw new S3Error('InvalidStorageClass', 'The storage class you specified is not valid', {
      StorageClassRequested: storageClass,
    });
  if (userBytes > MAX_USER_METADATA_BYTES)
    throw new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', {
      Size: userBytes,
      MaxSizeAllowed: MAX_USER_METADATA_BYTES,
    });
  // The AWS SDKs' content encoding of a streamed body, not the object's.
  const encodings = (stored['content-encoding'] ?? '')
    .split(',')
    .map((encoding) => encoding.trim())
    .filter((encoding) => encoding !== '' && encoding !== 'aws-chunked');
  if (encodings.length > 0) stored['content-encoding'] = encodings.join(', ');
  else delete stored['content-encoding'];
  stored['content-type'] ??= 'binary/octet-stream';
  return stored;
}

/** S3's limit on a key: 1,024 bytes of UTF-8. */
export function checkKey(key: string): void {
  if (key === '') throw new S3Error('InvalidArgument', 'A key must have a length greater than 0.');
  if (Buffer.byteLength(key) > 1024)
    throw new S3Error('KeyTooLongError', 'Your key is too long', {
      Size: Buffer.byteLength(key),
      MaxSizeAllowed: 1024,
    });
}
