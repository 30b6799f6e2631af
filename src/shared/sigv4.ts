// AWS Signature Version 4, the parts a signer and a verifier share: the canonical request's path
// and query, and the signature of a canonical request under a credential scope. The local
// SageMaker verifies with them; the CLI's drift checks, which call it without an SDK, sign.
import { createHash, createHmac } from 'node:crypto';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decodeLoosely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The path as SigV4 signs it: for S3 as sent, each segment encoded once; for other services with
 * dot segments removed and encoded twice (the encoded path encoded again), as the AWS SDKs do.
 */
export function canonicalPath(rawPath: string, s3: boolean): string {
  const encodeOnce = (segment: string) => encodeRfc3986(decodeLoosely(segment));
  if (s3) return rawPath.split('/').map(encodeOnce).join('/') || '/';
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(encodeRfc3986(encodeOnce(segment)));
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}

/** The query as SigV4 signs it: each name and value encoded, sorted; `skip` left out. */
export function canonicalQuery(rawQuery: string, skip?: string): string {
  if (!rawQuery) return '';
  const pairs = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      const key = at === -1 ? pair : pair.slice(0, at);
      const value = at === -1 ? '' : pair.slice(at + 1);
      // A form-encoded `+` is a space in a query.
      const decode = (text: string) => decodeLoosely(text.replace(/\+/g, '%20'));
      return [encodeRfc3986(decode(key)), encodeRfc3986(decode(value))] as const;
    })
    .filter(([key]) => key !== skip);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

/** One header as SigV4 signs it: its values trimmed, inner runs of space made one, joined by commas. */
export function canonicalHeaderLine(name: string, values: readonly string[]): string {
  return `${name}:${values.map((value) => value.trim().replace(/\s+/g, ' ')).join(',')}\n`;
}

/** The canonical request, from its parts already in canonical form. */
export function canonicalRequestOf(parts: {
  method: string;
  path: string;
  query: string;
  headerLines: string;
  signedHeaders: readonly string[];
  payloadHash: string;
}): string {
  return [
    parts.method,
    parts.path,
    parts.query,
    parts.headerLines,
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

/** The hex signature of a canonical request, signed at amzDate under scope DATE/REGION/SERVICE/aws4_request. */
export function signatureOf(
  secretAccessKey: string,
  amzDate: string,
  scope: string,
  canonicalRequest: string,
): string {
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  return hmac(signingKeyOf(secretAccessKey, scope), stringToSign).toString('hex');
}

/**
 * The key a secret signs with for one day, region and service: four HMACs, the same for every
 * request of that scope, so kept (in memory only) for the requests after the first.
 */
const signingKeys = new Map<string, Buffer>();

function signingKeyOf(secretAccessKey: string, scope: string): Buffer {
  const cacheKey = `${secretAccessKey}\0${scope}`;
  const known = signingKeys.get(cacheKey);
  if (known) return known;
  const [date = '', region = '', service = ''] = scope.split('/');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  // A handful of scopes a day (a service or two, a region): a bound only against a flood of dates.
  if (signingKeys.size >= 64) signingKeys.clear();
  signingKeys.set(cacheKey, key);
  return key;
}

export interface RequestToSign {
  method: string;
  url: URL;
  /** The path as it is sent, when it is not url's (a URL resolves dot segments). */
  rawPath?: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  region: string;
  service: string;
  key: AccessKey;
  now?: Date;
}

/** The headers that sign a request (Authorization, X-Amz-Date, and for S3 its payload hash). */
export function signedHeaders(request: RequestToSign): Record<string, string> {
  const amzDate = (request.now ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const payloadHash = sha256Hex(request.body ?? '');
  const s3 = request.service === 's3';
  const headers: Record<string, string> = {
    ...request.headers,
    host: request.url.host,
    'x-amz-date': amzDate,
    ...(s3 ? { 'x-amz-content-sha256': payloadHash } : {}),
  };
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const canonicalRequest = canonicalRequestOf({
    method: request.method,
    path: canonicalPath(request.rawPath ?? request.url.pathname, s3),
    query: canonicalQuery(request.url.search.slice(1)),
    headerLines: names.map((name) => canonicalHeaderLine(name, [String(lower[name])])).join(''),
    signedHeaders: names,
    payloadHash,
  });
  const scope = `${amzDate.slice(0, 8)}/${request.region}/${request.service}/aws4_request`;
  const signature = signatureOf(request.key.secretAccessKey, amzDate, scope, canonicalRequest);
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `${ALGORITHM} Credential=${request.key.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
