// One page of a List call as SageMaker answers it: NameContains, StatusEquals and the time filters
// applied, sorted by SortBy and SortOrder (newest first unless asked otherwise), cut to MaxResults,
// with a NextToken to go on from. A NextToken this server did not issue, or one issued for other
// filters, is a ValidationException, as on SageMaker.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { validation } from './aws-error.js';

/** What the List calls read of a resource. */
export interface Listed {
  name: string;
  creationTime: number;
  lastModifiedTime?: number;
  status?: string;
  /** A tuning job's training job: its final objective (ListTrainingJobsForHyperParameterTuningJob). */
  objective?: number;
}

const SORT_KEYS: Record<string, (item: Listed) => string | number> = {
  Name: (item) => item.name,
  CreationTime: (item) => item.creationTime,
  Status: (item) => item.status ?? '',
  // Jobs without an objective sort after those with one, whichever the order.
  FinalObjectiveMetricValue: (item) => item.objective ?? Number.NEGATIVE_INFINITY,
};

/** Seconds since the epoch, from a request timestamp (epoch seconds, or an ISO string). */
function seconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Date.parse(value) / 1000;
  return undefined;
}

const FILTERS = [
  'NameContains',
  'StatusEquals',
  'CreationTimeBefore',
  'CreationTimeAfter',
  'LastModifiedTimeBefore',
  'LastModifiedTimeAfter',
  'SortBy',
  'SortOrder',
];

/** Signs the tokens this server issues: one it did not issue (or that was altered) is refused. */
const TOKEN_KEY = randomBytes(32);
const signatureOf = (body: string): string =>
  createHmac('sha256', TOKEN_KEY).update(body).digest('base64url').slice(0, 22);

/**
 * A token names where the next page starts and the query it belongs to (the operation and its
 * filters), signed.
 */
function token(offset: number, query: string): string {
  const body = Buffer.from(JSON.stringify({ offset, query })).toString('base64url');
  return `${body}.${signatureOf(body)}`;
}

function offsetOf(nextToken: unknown, query: string): number {
  if (nextToken === undefined || nextToken === null) return 0;
  try {
    const [body = '', signature] = String(nextToken).split('.');
    if (signature !== signatureOf(body)) throw new Error('not signed here');
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      offset?: unknown;
      query?: unknown;
    };
    if (Number.isInteger(parsed.offset) && (parsed.offset as number) >= 0 && parsed.query === query)
      return parsed.offset as number;
  } catch {
    // Not a token of this server: answered below.
  }
  throw validation(
    'The pagination token is invalid: it was not issued for this request. Use the NextToken of the previous answer with the same filters.',
  );
}

/** The members of a List*Jobs request, which every kind of job honours alike. */
export const LIST_JOBS_MEMBERS = [
  'NextToken',
  'MaxResults',
  'CreationTimeAfter',
  'CreationTimeBefore',
  'LastModifiedTimeAfter',
  'LastModifiedTimeBefore',
  'NameContains',
  'StatusEquals',
  'SortBy',
  'SortOrder',
] as const;

/** What a List request may say about its page: each List operation's input has these members. */
export interface ListRequest {
  NameContains?: unknown;
  StatusEquals?: unknown;
  CreationTimeBefore?: unknown;
  CreationTimeAfter?: unknown;
  LastModifiedTimeBefore?: unknown;
  LastModifiedTimeAfter?: unknown;
  SortBy?: unknown;
  SortOrder?: unknown;
  MaxResults?: unknown;
  NextToken?: unknown;
}

export function listPage<T>(
  items: readonly T[],
  input: ListRequest,
  describe: (item: T) => Listed,
  /** `operation`: the List call, so that its tokens are good for it alone. */
  { operation, maxResults: defaultMax }: { operation: string; maxResults?: number },
): { page: T[]; NextToken?: string } {
  const query = createHash('sha256')
    .update(JSON.stringify([operation, ...FILTERS.map((name) => input[name as keyof ListRequest] ?? null)]))
    .digest('base64url')
    .slice(0, 16);
  const offset = offsetOf(input.NextToken, query);
  const contains = typeof input.NameContains === 'string' ? input.NameContains.toLowerCase() : undefined;
  const status = input.StatusEquals;
  const createdBefore = seconds(input.CreationTimeBefore);
  const createdAfter = seconds(input.CreationTimeAfter);
  const modifiedBefore = seconds(input.LastModifiedTimeBefore);
  const modifiedAfter = seconds(input.LastModifiedTimeAfter);
  const sortKey =
    SORT_KEYS[typeof input.SortBy === 'string' ? input.SortBy : 'CreationTime'] ?? SORT_KEYS.CreationTime;
  const direction = input.SortOrder === 'Ascending' ? 1 : -1;
  const matching = items
    .map((item) => ({ item, listed: describe(item) }))
    .filter(({ listed }) => contains === undefined || listed.name.toLowerCase().includes(contains))
    .filter(({ listed }) => status === undefined || listed.status === status)
    .filter(({ listed }) => createdBefore === undefined || listed.creationTime < createdBefore)
    .filter(({ listed }) => createdAfter === undefined || listed.creationTime > createdAfter)
    .filter(
      ({ listed }) =>
        modifiedBefore === undefined || (listed.lastModifiedTime ?? listed.creationTime) < modifiedBefore,
    )
    .filter(
      ({ listed }) =>
        modifiedAfter === undefined || (listed.lastModifiedTime ?? listed.creationTime) > modifiedAfter,
    )
    .sort((a, b) => {
      const [x, y] = [
        (sortKey as (item: Listed) => string | number)(a.listed),
        (sortKey as (item: Listed) => string | number)(b.listed),
      ];
      const order = x < y ? -1 : x > y ? 1 : a.listed.name.localeCompare(b.listed.name);
      return order * direction;
    });
  const max = typeof input.MaxResults === 'number' ? input.MaxResults : (defaultMax ?? 10);
  const page = matching.slice(offset, offset + max).map(({ item }) => item);
  return {
    page,
    ...(offset + max < matching.length ? { NextToken: token(offset + max, query) } : {}),
  };
}
