// The additional checksums S3 verifies on a PUT or an uploaded part when a client declares one
// (x-amz-checksum-ALGORITHM, or named in x-amz-trailer and sent after an aws-chunked body): the
// AWS SDKs declare CRC32 by default. A body that does not match is refused with BadDigest.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';
import { S3Error } from './s3-error.js';

export type ChecksumAlgorithm = 'crc32' | 'crc32c' | 'sha1' | 'sha256';
const ALGORITHMS: readonly ChecksumAlgorithm[] = ['crc32', 'crc32c', 'sha1', 'sha256'];

/** A running checksum of a body, its digest as S3 writes it (base64 of the big-endian value). */
export interface RunningChecksum {
  update(chunk: Buffer): void;
  digest(): string;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C (Castagnoli), which Node does not offer; used only when a client declares it. */
function crc32c(): RunningChecksum {
  let crc = 0xffffffff;
  return {
    update(chunk) {
      for (let i = 0; i < chunk.length; i++)
        crc = (CRC32C_TABLE[(crc ^ (chunk[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    },
    digest: () => bigEndian((crc ^ 0xffffffff) >>> 0),
  };
}

function bigEndian(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes.toString('base64');
}

function hashed(hash: Hash): RunningChecksum {
  return { update: (chunk) => hash.update(chunk), digest: () => hash.digest('base64') };
}

export function runningChecksum(algorithm: ChecksumAlgorithm): RunningChecksum {
  switch (algorithm) {
    case 'crc32': {
      let value = 0;
      return { update: (chunk) => (value = crc32(chunk, value)), digest: () => bigEndian(value) };
    }
    case 'crc32c':
      return crc32c();
    case 'sha1':
      return hashed(createHash('sha1'));
    case 'sha256':
      return hashed(createHash('sha256'));
  }
}

function algorithmNamed(name: string): ChecksumAlgorithm {
  const algorithm = name.toLowerCase().replace(/^x-amz-checksum-/, '');
  if ((ALGORITHMS as readonly string[]).includes(algorithm)) return algorithm as ChecksumAlgorithm;
  throw new S3Error(
    'InvalidRequest',
    `The checksum algorithm ${algorithm.toUpperCase()} is not supported by the local S3 (it verifies ${ALGORITHMS.map((a) => a.toUpperCase()).join(', ')}).`,
  );
}

/** The checksum a request declares: its algorithm and, unless it follows the body, its value. */
export interface DeclaredChecksum {
  algorithm: ChecksumAlgorithm;
  /** Undefined when the value is sent in the body's trailer. */
  value: string | undefined;
}

export function declaredChecksum(headers: IncomingHttpHeaders): DeclaredChecksum | undefined {
  const trailer = headers['x-amz-trailer'];
  if (typeof trailer === 'string' && trailer.trim() !== '')
    return { algorithm: algorithmNamed(trailer.trim()), value: undefined };
  const named = Object.keys(headers).filter(
    (name) => name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-type',
  );
  if (named.length > 1)
    throw new S3Error(
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  const [name] = named;
  if (name === undefined) return undefined;
  return { algorithm: algorithmNamed(name), value: String(headers[name]) };
}

export function checksumMismatch(algorithm: ChecksumAlgorithm): S3Error {
  return new S3Error(
    'BadDigest',
    `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
  );
}
