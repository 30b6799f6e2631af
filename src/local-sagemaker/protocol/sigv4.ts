// AWS Signature Version 4, checked as AWS checks it: the local SageMaker and its S3 accept a
// request only when it is signed with a key pair they were given, so that another user of the
// machine (who can reach 127.0.0.1 like anyone) cannot run jobs or read buckets. Any AWS SDK and
// the aws CLI sign this way already; nothing changes for them.
//
// Both forms AWS takes are checked: the Authorization header, and the query string of a presigned
// URL. The canonical request is rebuilt from what arrived (the signed headers only, the query
// sorted and encoded per RFC 3986, the path encoded once for S3 and twice for other services,
// as SigV4 specifies) and the signature recomputed with the secret of the key named in the
// credential scope. What is not checked: the chunk signatures of an aws-chunked body (the seed
// signature that authenticates the request is), and that a signed payload hash matches the body
// S3 receives (its own MD5 checks and Content-Length do).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  type AccessKey,
  ALGORITHM,
  canonicalHeaderLine,
  canonicalPath,
  canonicalQuery,
  canonicalRequestOf,
  sha256Hex,
  signatureOf,
} from '../../shared/sigv4.js';

export type { AccessKey } from '../../shared/sigv4.js';

/** Why a request was refused, in the words and codes AWS uses for each case. */
export type AuthFailure =
  | { kind: 'missing' }
  /** Signature Version 2, which AWS no longer takes in new regions. */
  | { kind: 'unsupported' }
  | { kind: 'malformed'; detail: string }
  | { kind: 'unknown-key'; accessKeyId: string }
  | { kind: 'mismatch'; accessKeyId: string }
  | { kind: 'skewed'; requestTime: string }
  | { kind: 'expired' };

export type AuthResult = { ok: true; accessKeyId: string } | { ok: false; failure: AuthFailure };

export interface VerifyOptions {
  /** The pairs this server accepts. */
  keys: readonly AccessKey[];
  /** S3 encodes the path once and signs the payload hash its header declares. */
  s3: boolean;
  /** The body, for services that sign its hash (everything but S3). */
  body?: Buffer;
  now?: Date;
}

/** AWS refuses a header-signed request whose time is more than 15 minutes from its own. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

function canonicalHeaders(request: IncomingMessage, signed: readonly string[]): string | undefined {
  const lines: string[] = [];
  for (const name of signed) {
    const values = request.headersDistinct[name];
    if (!values) return undefined;
    lines.push(canonicalHeaderLine(name, values));
  }
  return lines.join('');
}

/** 20261207T011542Z as a time; NaN when it is not one. */
function amzTime(stamp: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

interface SignedParts {
  accessKeyId: string;
  /** date/region/service/aws4_request */
  scope: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  payloadHash: string;
}

function fromHeader(request: IncomingMessage, options: VerifyOptions): SignedParts | AuthFailure {
  const authorization = request.headers.authorization ?? '';
  if (!authorization.startsWith(`${ALGORITHM} `)) return { kind: 'unsupported' };
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature)
    return {
      kind: 'malformed',
      detail: 'the Authorization header needs Credential, SignedHeaders and Signature',
    };
  const amzDate = (request.headers['x-amz-date'] as string | undefined) ?? '';
  let payloadHash: string;
  if (options.s3) {
    const declared = request.headers['x-amz-content-sha256'];
    if (typeof declared !== 'string')
      return { kind: 'malformed', detail: 'Missing required header for this request: x-amz-content-sha256' };
    payloadHash = declared;
  } else payloadHash = sha256Hex(options.body ?? Buffer.alloc(0));
  return signedParts(credential, signedHeaders, signature, amzDate, payloadHash);
}

/** The parts of a signature, the credential `KEY/DATE/REGION/SERVICE/aws4_request` split. */
function signedParts(
  credential: string,
  signedHeaders: string,
  signature: string,
  amzDate: string,
  payloadHash: string,
): SignedParts {
  const at = credential.indexOf('/');
  return {
    accessKeyId: at === -1 ? credential : credential.slice(0, at),
    scope: at === -1 ? '' : credential.slice(at + 1),
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    payloadHash,
  };
}

function fromQuery(query: URLSearchParams, options: VerifyOptions, now: number): SignedParts | AuthFailure {
  if (query.get('X-Amz-Algorithm') !== ALGORITHM)
    return { kind: 'malformed', detail: `X-Amz-Algorithm only supports "${ALGORITHM}"` };
  const credential = query.get('X-Amz-Credential');
  const signedHeaders = query.get('X-Amz-SignedHeaders');
  const signature = query.get('X-Amz-Signature');
  const amzDate = query.get('X-Amz-Date');
  const expires = Number(query.get('X-Amz-Expires'));
  if (!credential || !signedHeaders || !signature || !amzDate || !query.has('X-Amz-Expires'))
    return {
      kind: 'malformed',
      detail:
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    };
  if (!Number.isInteger(expires) || expires < 0 || expires > MAX_PRESIGN_SECONDS)
    return { kind: 'malformed', detail: 'X-Amz-Expires must be from 0 to 604800 seconds' };
  const signedAt = amzTime(amzDate);
  if (Number.isNaN(signedAt))
    return {
      kind: 'malformed',
      detail: `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`,
    };
  if (now > signedAt + expires * 1000) return { kind: 'expired' };
  const payloadHash = options.s3 ? 'UNSIGNED-PAYLOAD' : sha256Hex(options.body ?? Buffer.alloc(0));
  return signedParts(credential, signedHeaders, signature, amzDate, payloadHash);
}

/** Whether the request is signed with one of the keys, as AWS decides it. */
export function verifySigV4(request: IncomingMessage, options: VerifyOptions): AuthResult {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1);
  const query = new URLSearchParams(rawQuery);
  const now = (options.now ?? new Date()).getTime();
  const byHeader = request.headers.authorization !== undefined;
  const byQuery = query.has('X-Amz-Algorithm') || query.has('X-Amz-Signature');
  if (!byHeader && query.has('Signature') && query.has('AWSAccessKeyId'))
    return { ok: false, failure: { kind: 'unsupported' } };
  if (!byHeader && !byQuery) return { ok: false, failure: { kind: 'missing' } };
  if (byHeader && byQuery)
    return {
      ok: false,
      failure: {
        kind: 'malformed',
        detail:
          'Only one auth mechanism allowed: the X-Amz-Algorithm query parameter or the Authorization header',
      },
    };
  const parts = byHeader ? fromHeader(request, options) : fromQuery(query, options, now);
  if ('kind' in parts) return { ok: false, failure: parts };

  const key = options.keys.find((candidate) => candidate.accessKeyId === parts.accessKeyId);
  if (!key) return { ok: false, failure: { kind: 'unknown-key', accessKeyId: parts.accessKeyId } };
  const scope = parts.scope.split('/');
  if (scope.length !== 4 || scope[3] !== 'aws4_request' || !parts.amzDate.startsWith(scope[0] ?? '-'))
    return {
      ok: false,
      failure: {
        kind: 'malformed',
        detail: `the credential scope ${parts.scope} is not DATE/REGION/SERVICE/aws4_request for the request's date`,
      },
    };
  if (byHeader) {
    const signedAt = amzTime(parts.amzDate);
    if (Number.isNaN(signedAt))
      return {
        ok: false,
        failure: { kind: 'malformed', detail: 'AWS authentication requires a valid X-Amz-Date header' },
      };
    if (Math.abs(now - signedAt) > MAX_SKEW_MS)
      return { ok: false, failure: { kind: 'skewed', requestTime: parts.amzDate } };
  }
  if (!parts.signedHeaders.includes('host'))
    return { ok: false, failure: { kind: 'malformed', detail: 'the signed headers must include host' } };
  const headers = canonicalHeaders(request, parts.signedHeaders);
  if (headers === undefined)
    return { ok: false, failure: { kind: 'mismatch', accessKeyId: key.accessKeyId } };

  const canonicalRequest = canonicalRequestOf({
    method: request.method ?? 'GET',
    path: canonicalPath(rawPath, options.s3),
    query: canonicalQuery(rawQuery, byQuery ? 'X-Amz-Signature' : undefined),
    headerLines: headers,
    signedHeaders: parts.signedHeaders,
    payloadHash: parts.payloadHash,
  });
  const expected = Buffer.from(
    signatureOf(key.secretAccessKey, parts.amzDate, parts.scope, canonicalRequest),
  );
  const given = Buffer.from(parts.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, failure: { kind: 'mismatch', accessKeyId: key.accessKeyId } };
  return { ok: true, accessKeyId: key.accessKeyId };
}

/** The JSON services' answer to a refused request, as SageMaker, CloudWatch Logs and ECR give it. */
export function jsonAuthError(failure: AuthFailure): { type: string; message: string } {
  switch (failure.kind) {
    case 'missing':
      return {
        type: 'MissingAuthenticationTokenException',
        message: 'Request is missing Authentication Token',
      };
    case 'malformed':
      return { type: 'IncompleteSignatureException', message: failure.detail };
    case 'unsupported':
      return {
        type: 'IncompleteSignatureException',
        message:
          'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
      };
    case 'unknown-key':
      return {
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    case 'mismatch':
      return {
        type: 'InvalidSignatureException',
        message:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      };
    case 'skewed':
      return {
        type: 'InvalidSignatureException',
        message: `Signature expired: ${failure.requestTime} is more than 15 minutes from the server's time.`,
      };
    case 'expired':
      return { type: 'InvalidSignatureException', message: 'Signature expired.' };
  }
}

/** S3's answer to a refused request: its error code, status and message. */
export function s3AuthError(failure: AuthFailure): { code: string; status: number; message: string } {
  switch (failure.kind) {
    case 'missing':
      return { code: 'AccessDenied', status: 403, message: 'Access Denied' };
    case 'malformed':
      return { code: 'AuthorizationHeaderMalformed', status: 400, message: failure.detail };
    case 'unsupported':
      return {
        code: 'InvalidRequest',
        status: 400,
        message:
          'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
      };
    case 'unknown-key':
      return {
        code: 'InvalidAccessKeyId',
        status: 403,
        message: 'The AWS Access Key Id you provided does not exist in our records.',
      };
    case 'mismatch':
      return {
        code: 'SignatureDoesNotMatch',
        status: 403,
        message:
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      };
    case 'skewed':
      return {
        code: 'RequestTimeTooSkewed',
        status: 403,
        message: 'The difference between the request time and the current time is too large.',
      };
    case 'expired':
      return { code: 'AccessDenied', status: 403, message: 'Request has expired' };
  }
}
