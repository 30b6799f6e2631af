// The objects under an S3 prefix. S3 pages a listing 1,000 keys at a time, each page waiting for
// the one before it (its continuation token): 100,000 keys are 100 round trips end to end. When
// the keys to expect are known (the local data the prefix mirrors), the key space is cut at every
// 1,000th of them and the ranges are listed at once, each from StartAfter its lower bound and up
// to its upper one: the same objects, each once, in S3's order, with several pages in flight.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { inParallel } from '../shared/in-parallel.js';
import { aws } from './explain-aws-error.js';

export interface RemoteObject {
  key: string;
  etag: string;
  size: number;
}

export interface ListRequest {
  s3: S3Client;
  bucket: string;
  prefix: string;
  /** The keys the prefix is expected to hold, in any order; none: one range, listed page by page. */
  expectedKeys?: readonly string[];
  /** The ranges' upper bounds, when known already (rangeBounds of the keys a receipt saw). */
  bounds?: readonly string[];
  /** Ranges listed at once. */
  concurrency?: number;
  signal?: AbortSignal;
}

const PAGE = 1000;

/**
 * Upper bounds of the ranges: every PAGE-th expected key. Only where JavaScript's order of the
 * keys is S3's (UTF-8 bytes): it differs for characters from U+D800 up, so such keys get one range.
 */
export function rangeBounds(expected: readonly string[]): string[] {
  if (expected.length <= PAGE || expected.some((key) => /[\uD800-\uFFFF]/.test(key))) return [];
  const sorted = [...expected].sort();
  const bounds: string[] = [];
  for (let index = PAGE - 1; index < sorted.length - 1; index += PAGE) bounds.push(sorted[index] as string);
  return bounds;
}

/** One page of a listing: its objects in S3's order, and the token of the next, if there is one. */
export interface ListedPage {
  objects: RemoteObject[];
  nextToken: string | undefined;
}

/** Where a page starts: after a continuation token, after a key, or at the prefix's first key. */
export type PageStart = { token?: string; startAfter?: string };

/**
 * The objects of every range between the bounds, the ranges listed at once, each page by page
 * from its lower bound until past its upper one: whatever lists a page (the SDK, plain HTTP).
 */
export async function listInRanges(
  bounds: readonly string[],
  concurrency: number,
  listPage: (start: PageStart) => Promise<ListedPage>,
): Promise<RemoteObject[]> {
  // Range i holds the keys after bounds[i - 1] up to bounds[i], both ends open where there is none.
  const ranges = Array.from({ length: bounds.length + 1 }, (_, index) => ({
    after: bounds[index - 1],
    upTo: bounds[index],
    objects: [] as RemoteObject[],
  }));
  await inParallel(ranges, concurrency, async (range) => {
    let token: string | undefined;
    for (;;) {
      const page = await listPage(token ? { token } : range.after ? { startAfter: range.after } : {});
      for (const object of page.objects) {
        if (range.upTo !== undefined && object.key > range.upTo) return;
        range.objects.push(object);
      }
      if (!page.nextToken) return;
      if (range.upTo !== undefined && page.objects.at(-1)?.key === range.upTo) return;
      token = page.nextToken;
    }
  });
  return ranges.flatMap((range) => range.objects);
}

export function listObjects(request: ListRequest): Promise<RemoteObject[]> {
  const bounds = request.bounds ?? rangeBounds(request.expectedKeys ?? []);
  return listInRanges(bounds, request.concurrency ?? 8, async ({ token, startAfter }) => {
    const page = await aws(`listing s3://${request.bucket}/${request.prefix}`, () =>
      request.s3.send(
        new ListObjectsV2Command({
          Bucket: request.bucket,
          Prefix: request.prefix,
          ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
        }),
        { abortSignal: request.signal },
      ),
    );
    return {
      objects: (page.Contents ?? []).flatMap((object) =>
        object.Key ? [{ key: object.Key, etag: object.ETag ?? '', size: object.Size ?? 0 }] : [],
      ),
      nextToken: page.IsTruncated ? page.NextContinuationToken : undefined,
    };
  });
}
