// The key space of an S3 prefix cut into ranges listed at once (remote-listing.ts says why), apart
// from any S3 client: the drift checks list through plain HTTP on target local, and a no-op run
// must not load the AWS SDK to do it.
import { inParallel } from '../shared/in-parallel.js';

export interface RemoteObject {
  key: string;
  etag: string;
  size: number;
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
