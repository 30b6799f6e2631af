// ListObjects (v1) and ListObjectsV2: a page of keys and common prefixes in S3's order, with its
// parameters checked and answered as S3 answers them.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
import { compareKeys, firstAfter } from './key-order.js';
import type { ObjectStore } from './object-store.js';
import { OWNER } from './owner.js';
import { S3Error } from './s3-error.js';
import { type XmlElement, xmlDocument } from './s3-xml.js';

const MAX_KEYS = 1000;

/** A page: keys and common prefixes together in order, at most maxKeys of both. */
export interface ListedPage {
  keys: string[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix of the page: where the next page starts after. */
  last: string | undefined;
}

/**
 * The page after `startAfter`: keys under prefix, each key holding the delimiter after the prefix
 * rolled into its common prefix, which counts as one entry. A page that ends on a common prefix
 * continues after every key under it.
 */
export function listPage(
  sorted: readonly string[],
  options: { prefix: string; delimiter: string; startAfter: string; maxKeys: number },
): ListedPage {
  const { prefix, delimiter, startAfter, maxKeys } = options;
  const page: ListedPage = { keys: [], commonPrefixes: [], truncated: false, last: undefined };
  const from = compareKeys(startAfter, prefix) < 0 ? prefix : startAfter;
  let index = firstAfter(sorted, from);
  if (from === prefix && sorted[index - 1] === prefix) index--;
  // A start that is a common prefix (the previous page's last entry): its keys were listed in it.
  const isCommonPrefix =
    delimiter !== '' &&
    startAfter.length > prefix.length &&
    startAfter.startsWith(prefix) &&
    startAfter.indexOf(delimiter, prefix.length) === startAfter.length - delimiter.length;
  const skipping = isCommonPrefix ? startAfter : undefined;
  let count = 0;
  while (index < sorted.length) {
    const key = sorted[index] as string;
    // The keys under a prefix are one run in this order: the first after it ends the listing.
    if (!key.startsWith(prefix)) break;
    if (compareKeys(key, startAfter) <= 0 || (skipping !== undefined && key.startsWith(skipping))) {
      index++;
      continue;
    }
    const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    const entry = cut === -1 ? key : key.slice(0, cut + delimiter.length);
    if (count === maxKeys) {
      page.truncated = true;
      break;
    }
    count++;
    page.last = entry;
    if (cut === -1) {
      page.keys.push(key);
      index++;
    } else {
      page.commonPrefixes.push(entry);
      while (index < sorted.length && (sorted[index] as string).startsWith(entry)) index++;
    }
  }
  return page;
}

/** S3's `encoding-type=url`: keys and prefixes percent-encoded, as the aws CLI asks for them. */
function encoderFor(query: URLSearchParams): (text: string) => string {
  const type = query.get('encoding-type');
  if (type === null) return (text) => text;
  if (type !== 'url')
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', {
      ArgumentName: 'encoding-type',
      ArgumentValue: type,
    });
  return (text) => encodeURIComponent(text).replace(/%2F/g, '/');
}

function maxKeysOf(query: URLSearchParams): number {
  const given = query.get('max-keys');
  if (given === null) return MAX_KEYS;
  const value = /^-?\d+$/.test(given) ? Number(given) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 0 || value > 2147483647)
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', {
      ArgumentName: 'max-keys',
      ArgumentValue: given,
    });
  return Math.min(MAX_KEYS, value);
}

// The continuation token is opaque to clients: the key to start after, for this bucket.
const tokenFor = (bucket: string, after: string): string =>
  Buffer.from(`${bucket}\n${after}`).toString('base64');
function startOfToken(bucket: string, token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const newline = text.indexOf('\n');
  if (newline === -1 || text.slice(0, newline) !== bucket)
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', {
      ArgumentName: 'continuation-token',
    });
  return text.slice(newline + 1);
}

/** The answer to GET /BUCKET (ListObjects, or ListObjectsV2 with list-type=2). */
export async function listObjects(
  store: ObjectStore,
  bucket: string,
  query: URLSearchParams,
): Promise<string> {
  const v2 = query.get('list-type') === '2';
  const encode = encoderFor(query);
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeys = maxKeysOf(query);
  const token = query.get('continuation-token');
  if (v2 && query.has('marker'))
    throw new S3Error('InvalidArgument', 'Marker unsupported with REST.GET.BUCKET in list-type=2', {
      ArgumentName: 'marker',
    });
  if (!v2 && token !== null)
    throw new S3Error(
      'InvalidArgument',
      'continuation-token only supported in REST.GET.BUCKET with list-type=2',
      {
        ArgumentName: 'continuation-token',
      },
    );
  const startAfter = v2
    ? token !== null
      ? startOfToken(bucket, token)
      : (query.get('start-after') ?? '')
    : (query.get('marker') ?? '');

  const page =
    maxKeys === 0
      ? { keys: [], commonPrefixes: [], truncated: false, last: undefined }
      : listPage(store.keys(bucket, prefix), { prefix, delimiter, startAfter, maxKeys });
  const owner = !v2 || query.get('fetch-owner') === 'true' ? OWNER : undefined;
  const contents: XmlElement[] = [];
  // A key deleted since the keys were read is left out.
  for (const object of await Promise.all(page.keys.map((key) => store.describe(bucket, key)))) {
    if (!object) continue;
    const { key } = object;
    contents.push({
      Key: encode(key),
      LastModified: object.lastModified.toISOString(),
      ETag: object.etag,
      Size: object.size,
      Owner: owner,
      StorageClass: object.headers['x-amz-storage-class'] ?? 'STANDARD',
    });
  }
  const paging: XmlElement = v2
    ? {
        ContinuationToken: token ?? undefined,
        StartAfter: token === null && startAfter !== '' ? encode(startAfter) : undefined,
        NextContinuationToken:
          page.truncated && page.last !== undefined ? tokenFor(bucket, page.last) : undefined,
        KeyCount: contents.length + page.commonPrefixes.length,
      }
    : {
        Marker: encode(startAfter),
        NextMarker:
          page.truncated && delimiter !== '' && page.last !== undefined ? encode(page.last) : undefined,
      };
  return xmlDocument('ListBucketResult', {
    Name: bucket,
    Prefix: encode(prefix),
    ...paging,
    MaxKeys: query.get('max-keys') ?? MAX_KEYS,
    Delimiter: delimiter === '' ? undefined : encode(delimiter),
    EncodingType: query.get('encoding-type') ?? undefined,
    IsTruncated: page.truncated,
    Contents: contents,
    CommonPrefixes: page.commonPrefixes.map((commonPrefix) => ({ Prefix: encode(commonPrefix) })),
  });
}
