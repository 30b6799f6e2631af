// A PUT's or a part's body, received into a file as S3 receives it: an aws-chunked body (what the
// AWS SDKs send for a streamed body with a trailing checksum) has its framing removed, and every
// integrity check the request declares is made — Content-MD5, the signed payload's SHA-256, an
// additional checksum, the declared length — before the caller keeps anything.

import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checksumMismatch, type DeclaredChecksum, declaredChecksum, runningChecksum } from './checksums.js';
import { headerOf } from './http-header.js';
import { S3Error } from './s3-error.js';

export interface ReceivedBody {
  size: number;
  md5Hex: string;
  /** The checksum the client declared and that matched, as S3 returns it. */
  checksum?: { algorithm: string; value: string };
}

/**
 * Whether the body is aws-chunked: a streaming payload hash, or the aws-chunked encoding. Only the
 * unsigned stream is taken: a signed one (each chunk signed in a chain from the request's
 * signature) is refused rather than received with its chunk signatures unchecked.
 */
export function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const sha = headerOf(headers, 'x-amz-content-sha256') ?? '';
  const encodings = (headerOf(headers, 'content-encoding') ?? '').split(',').map((e) => e.trim());
  if (sha.startsWith('STREAMING-') && sha !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER')
    throw new S3Error(
      'NotImplemented',
      `A body sent as ${sha} (signed aws-chunked) is not supported by the local S3: send it with UNSIGNED-PAYLOAD, a payload hash, or STREAMING-UNSIGNED-PAYLOAD-TRAILER.`,
    );
  return sha.startsWith('STREAMING-') || encodings.includes('aws-chunked');
}

const incompleteBody = (): S3Error =>
  new S3Error('IncompleteBody', 'The request body is not valid aws-chunked encoding.');

/**
 * aws-chunked framing: `SIZE_HEX[;chunk-signature=…]\r\nDATA\r\n` … `0\r\n`, then trailer lines
 * `name:value\r\n` and an empty line. The data is passed on without copying; only the framing
 * lines are buffered.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers = new Map<string, string>();
  private line = '';
  private remaining = 0;
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, chunk.length - at);
        this.push(chunk.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      if (this.state === 'done') break;
      const newline = chunk.indexOf(10, at);
      const end = newline === -1 ? chunk.length : newline + 1;
      this.line += chunk.toString('latin1', at, end);
      at = end;
      if (newline === -1) {
        if (this.line.length > 8192) {
          done(incompleteBody());
          return;
        }
        continue;
      }
      const line = this.line.replace(/\r?\n$/, '');
      this.line = '';
      const failure = this.readLine(line);
      if (failure) {
        done(failure);
        return;
      }
    }
    done();
  }

  private readLine(line: string): S3Error | undefined {
    switch (this.state) {
      case 'data-end':
        if (line !== '') return incompleteBody();
        this.state = 'size';
        return undefined;
      case 'size': {
        const size = Number.parseInt(line.split(';')[0] ?? '', 16);
        if (!Number.isFinite(size) || size < 0) return incompleteBody();
        this.remaining = size;
        this.state = size === 0 ? 'trailer' : 'data';
        return undefined;
      }
      case 'trailer': {
        if (line === '') {
          this.state = 'done';
          return undefined;
        }
        const colon = line.indexOf(':');
        if (colon === -1) return incompleteBody();
        this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        return undefined;
      }
      default:
        return undefined;
    }
  }

  override _flush(done: TransformCallback): void {
    done(
      this.state === 'done' || (this.state === 'trailer' && this.line === '') ? undefined : incompleteBody(),
    );
  }
}

/** Hashes what passes through: MD5 for the ETag, and whatever else the request asks checked. */
class Digests extends Transform {
  size = 0;
  readonly md5 = createHash('md5');
  constructor(
    readonly sha256: Hash | undefined,
    readonly checksum: ReturnType<typeof runningChecksum> | undefined,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    done(null, chunk);
  }
}

/** Receives the request's body into file, checked; the caller removes the file on failure. */
export function receiveBody(request: IncomingMessage, file: string): Promise<ReceivedBody> {
  return receiveInto(request, createWriteStream(file, { highWaterMark: 1024 * 1024 }));
}

/** S3's bound on a request document (a batch delete of 1,000 keys is about 100 KB). */
const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;

/** A request's small body (an XML document) in memory, checked as a PUT's is. */
export async function readSmallBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > MAX_DOCUMENT_BYTES)
        return done(new S3Error('MaxMessageLengthExceeded', 'Your request was too big.'));
      chunks.push(chunk);
      done();
    },
  });
  await receiveInto(request, sink);
  return Buffer.concat(chunks).toString('utf8');
}

async function receiveInto(request: IncomingMessage, out: Writable): Promise<ReceivedBody> {
  const headers = request.headers;
  const chunked = isAwsChunked(request.headers);
  const payloadHash = headerOf(headers, 'x-amz-content-sha256');
  const signedPayload = !chunked && payloadHash !== undefined && /^[0-9a-f]{64}$/.test(payloadHash);
  const declared: DeclaredChecksum | undefined = declaredChecksum(headers);
  const digests = new Digests(
    signedPayload ? createHash('sha256') : undefined,
    declared ? runningChecksum(declared.algorithm) : undefined,
  );
  const decoder = chunked ? new AwsChunkedDecoder() : undefined;
  if (decoder) await pipeline(request, decoder, digests, out);
  else await pipeline(request, digests, out);

  const declaredLength = headerOf(headers, chunked ? 'x-amz-decoded-content-length' : 'content-length');
  if (declaredLength !== undefined && Number(declaredLength) !== digests.size)
    throw new S3Error(
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header',
    );
  const md5 = digests.md5.digest();
  const contentMd5 = headerOf(headers, 'content-md5');
  if (contentMd5 !== undefined) {
    if (Buffer.from(contentMd5, 'base64').length !== 16)
      throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.');
    if (contentMd5 !== md5.toString('base64'))
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  if (signedPayload && digests.sha256?.digest('hex') !== payloadHash)
    throw new S3Error(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  let checksum: ReceivedBody['checksum'];
  if (declared && digests.checksum) {
    const expected = declared.value ?? decoder?.trailers.get(`x-amz-checksum-${declared.algorithm}`);
    if (expected === undefined)
      throw new S3Error('InvalidRequest', `The ${declared.algorithm.toUpperCase()} trailer was not sent.`);
    const value = digests.checksum.digest();
    if (value !== expected) throw checksumMismatch(declared.algorithm);
    checksum = { algorithm: declared.algorithm, value };
  }
  return { size: digests.size, md5Hex: md5.toString('hex'), ...(checksum ? { checksum } : {}) };
}
