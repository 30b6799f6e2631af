// The local target's S3: an s3rver (a real S3 server) with its data under .pipeline/local/s3.
// Every request must be signed (SigV4) with one of the key pairs it is given, as S3 requires of a
// private bucket: s3rver itself would serve anonymous requests and does not check a V4 signature.
import { copyFile, mkdir } from 'node:fs/promises';
import S3rver from 's3rver';
import s3rverAccount from 's3rver/lib/models/account.js';
import { type AccessKey, s3AuthError, verifySigV4 } from '../protocol/sigv4.js';
import type { StoredObjects } from './s3-transfer.js';

export interface LocalS3 {
  endpoint: string;
  /** Its objects where they are stored, for the local SageMaker in the same process. */
  objects: StoredObjects;
  close(): Promise<void>;
}

interface KoaContext {
  req: import('node:http').IncomingMessage;
  url: string;
  method: string;
  status: number;
  type: string;
  body: unknown;
  set(name: string, value: string): void;
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * s3rver's router takes a key as path segments and matches none that is empty: a key with `//`,
 * or one that starts or ends with `/` (a "folder" object), got 404. Such a key is sent on as one
 * segment with its slashes encoded, which the router decodes back into the same key. (After the
 * signature check: the signature is over the path as the client sent it.)
 */
function keyAsOneSegment(ctx: KoaContext): void {
  const match = /^\/([^/?]+)\/([^?]*)(\?.*)?$/.exec(ctx.url);
  if (!match) return;
  const [, bucket, key = '', query = ''] = match;
  if (key === '' || !(key.includes('//') || key.startsWith('/') || key.endsWith('/'))) return;
  try {
    const decoded = key
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
    ctx.url = `/${bucket}/${encodeURIComponent(decoded)}${query}`;
  } catch {
    // A malformed escape: s3rver answers it as it would have.
  }
}

/** Refuses what S3 refuses before s3rver's own routes see the request. */
function signedRequestsOnly(keys: readonly AccessKey[]) {
  return async (ctx: KoaContext, next: () => Promise<void>): Promise<void> => {
    // A browser's CORS preflight carries no credentials, and answers with no data.
    if (ctx.method === 'OPTIONS') return next();
    const auth = verifySigV4(ctx.req, { keys, s3: true });
    if (auth.ok) {
      keyAsOneSegment(ctx);
      return next();
    }
    const { code, status, message } = s3AuthError(auth.failure);
    ctx.status = status;
    ctx.set('x-amz-error-code', code);
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
  };
}

/**
 * s3rver checks again that a key it is sent is one of its account's: it is told ours. (Imported,
 * not required, so that the bundled CLI reaches the same module as its bundled s3rver.)
 */
function registerKeys(keys: readonly AccessKey[]): void {
  for (const key of keys) s3rverAccount.DUMMY_ACCOUNT.createKeyPair(key.accessKeyId, key.secretAccessKey);
}

export async function startLocalS3(
  directory: string,
  keys: readonly AccessKey[],
  port = 0,
): Promise<LocalS3> {
  await mkdir(directory, { recursive: true });
  registerKeys(keys);
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true });
  server.middleware.unshift(signedRequestsOnly(keys));
  const address = (await server.run()) as { port: number };
  const { store } = server;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    objects: {
      async list(bucket, prefix, startAfter) {
        const page = await store.listObjects(bucket, { prefix, startAfter, maxKeys: 1000 });
        return { keys: page.objects.map((object) => object.key), truncated: page.isTruncated };
      },
      copyTo: (bucket, key, target) => copyFile(store.getResourcePath(bucket, key, 'object'), target),
    },
    close: () => server.close(),
  };
}
