// The local target's S3: a server of our own on node:http with its data under .pipeline/local/s3,
// covering what the tool, the aws CLI and boto3 use (buckets, objects, listings, multipart
// uploads, conditional writes, ranged reads, copies). Every request must be signed (SigV4) with
// one of the key pairs it is given, as S3 requires of a private bucket.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { serviceUrl } from '../../shared/service-url.js';
import { type AccessKey, s3AuthError, verifySigV4 } from '../protocol/sigv4.js';
import { listPage } from './list-objects.js';
import { MultipartUploads } from './multipart-uploads.js';
import { ObjectStore } from './object-store.js';
import { S3Error } from './s3-error.js';
import type { S3Answer, S3Context, S3Request } from './s3-request.js';
import { dispatch, parsePath } from './s3-router.js';
import type { StoredObjects } from './s3-transfer.js';
import { errorDocument, PROLOG } from './s3-xml.js';

export interface LocalS3 {
  endpoint: string;
  /** Its objects where they are stored, for the local SageMaker in the same process. */
  objects: StoredObjects;
  close(): Promise<void>;
}

/** How often a long completion sends a space so that its client keeps waiting. */
const KEEP_WAITING_MS = 1000;

function authenticate(request: IncomingMessage, keys: readonly AccessKey[]): S3Error | undefined {
  // A browser's CORS preflight carries no credentials; no bucket here allows cross-origin requests.
  if (request.method === 'OPTIONS')
    return new S3Error('CORSResponse', 'CORS is not enabled for this bucket.');
  const auth = verifySigV4(request, { keys, s3: true });
  if (auth.ok) return undefined;
  const { code, message } = s3AuthError(auth.failure);
  return new S3Error(code as S3Error['code'], message);
}

function sendError(response: ServerResponse, error: S3Error, requestId: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(error.status, {
    'content-type': 'application/xml',
    'x-amz-request-id': requestId,
    'x-amz-error-code': error.code,
  });
  response.end(errorDocument(error, requestId));
}

async function send(response: ServerResponse, answer: S3Answer, requestId: string): Promise<void> {
  if ('whileWorking' in answer) {
    response.writeHead(200, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
    response.write(PROLOG);
    const timer = setInterval(() => response.write(' '), KEEP_WAITING_MS);
    try {
      const document = await answer.whileWorking;
      response.end(document.slice(PROLOG.length));
    } catch (error) {
      response.end(errorDocument(asS3Error(error), requestId, false));
    } finally {
      clearInterval(timer);
    }
    return;
  }
  response.writeHead(answer.status, { 'x-amz-request-id': requestId, ...answer.headers });
  if (answer.body instanceof Readable) await pipeline(answer.body, response);
  else response.end(answer.body);
}

function asS3Error(error: unknown): S3Error {
  if (error instanceof S3Error) return error;
  return new S3Error('InternalError', 'We encountered an internal error. Please try again.');
}

export async function startLocalS3(
  directory: string,
  keys: readonly AccessKey[],
  port = 0,
  host = '127.0.0.1',
): Promise<LocalS3> {
  const store = new ObjectStore(directory);
  const context: S3Context = { store, uploads: new MultipartUploads(store), writesInProgress: new Map() };

  const server = createServer(async (raw, response) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    try {
      const refused = authenticate(raw, keys);
      if (refused) {
        raw.resume();
        return sendError(response, refused, requestId);
      }
      const url = raw.url ?? '/';
      const queryAt = url.indexOf('?');
      const { bucket, key } = parsePath(queryAt === -1 ? url : url.slice(0, queryAt));
      const request: S3Request = {
        method: raw.method ?? 'GET',
        bucket,
        key,
        query: new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1)),
        raw,
      };
      await send(response, await dispatch(context, request), requestId);
    } catch (error) {
      // A client gone mid-request has nobody to answer.
      if (raw.destroyed && !(error instanceof S3Error)) return;
      sendError(response, asS3Error(error), requestId);
      raw.resume();
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: listening } = server.address() as AddressInfo;

  return {
    endpoint: serviceUrl(host, listening),
    objects: {
      async list(bucket, prefix, startAfter) {
        const page = listPage(store.keys(bucket, prefix), {
          prefix,
          delimiter: '',
          startAfter,
          maxKeys: 1000,
        });
        return { keys: page.keys, truncated: page.truncated };
      },
      copyTo: (bucket, key, target) => store.copyOut(bucket, key, target),
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
