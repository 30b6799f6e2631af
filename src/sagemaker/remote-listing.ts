// The objects under an S3 prefix. S3 pages a listing 1,000 keys at a time, each page waiting for
// the one before it (its continuation token): 100,000 keys are 100 round trips end to end. When
// the keys to expect are known (the local data the prefix mirrors), the key space is cut at every
// 1,000th of them and the ranges are listed at once, each from StartAfter its lower bound and up
// to its upper one: the same objects, each once, in S3's order, with several pages in flight.
import {
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DeserializeMiddleware } from '@smithy/types';
import { aws } from './explain-aws-error.js';
import { isListBucketResult, parseListBucketResult } from './list-bucket-result.js';
import { type ListedPage, listInRanges, type RemoteObject, rangeBounds } from './listing-ranges.js';

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
    const command = new ListObjectsV2Command({
      Bucket: request.bucket,
      Prefix: request.prefix,
      ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
    });
    let page: ListedPage | undefined;
    command.middlewareStack.add(
      readPageItself((read) => (page = read)),
      READ_PAGE_ITSELF,
    );
    await aws(`listing s3://${request.bucket}/${request.prefix}`, () =>
      request.s3.send(command, { abortSignal: request.signal }),
    );
    if (!page) throw new Error(`the listing of s3://${request.bucket}/${request.prefix} answered no page`);
    return page;
  });
}

/**
 * The SDK signs, sends, retries and turns error answers into errors; the successful page's body
 * is read here (parseListBucketResult, ten times faster than the SDK's XML parsing at 100,000
 * keys) and the SDK is left an empty result to parse. Inside the SDK's deserializer (priority
 * low in its step): it sees the raw answer, after every retry and signing step.
 */
const READ_PAGE_ITSELF = { step: 'deserialize', priority: 'low', name: 'pipelineReadsListingPage' } as const;
const EMPTY_PAGE = new TextEncoder().encode(
  '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>',
);

function readPageItself(
  into: (page: ListedPage) => void,
): DeserializeMiddleware<ListObjectsV2CommandInput, ListObjectsV2CommandOutput> {
  return (next) => async (args) => {
    const result = await next(args);
    const response = result.response as { statusCode?: number; body?: unknown };
    if (response.statusCode !== 200) return result;
    const bytes = await bodyBytes(response.body);
    const text = new TextDecoder().decode(bytes);
    // Anything else (an error S3 sent with a 200) is the SDK's to read and throw, as it was.
    if (!isListBucketResult(text)) {
      response.body = bytes;
      return result;
    }
    into(parseListBucketResult(text));
    response.body = EMPTY_PAGE;
    return result;
  };
}

/** An answer's body, whichever form the SDK's handler left it in. */
async function bodyBytes(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>)
    chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  return Buffer.concat(chunks);
}
