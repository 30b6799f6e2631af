// The objects under an S3 prefix. S3 pages a listing 1,000 keys at a time, each page waiting for
// the one before it (its continuation token): 100,000 keys are 100 round trips end to end. When
// the keys to expect are known (the local data the prefix mirrors), the key space is cut at every
// 1,000th of them and the ranges are listed at once, each from StartAfter its lower bound and up
// to its upper one: the same objects, each once, in S3's order, with several pages in flight.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { aws } from './explain-aws-error.js';
import { listInRanges, type RemoteObject, rangeBounds } from './listing-ranges.js';

export {
  type ListedPage,
  listInRanges,
  type PageStart,
  type RemoteObject,
  rangeBounds,
} from './listing-ranges.js';

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
