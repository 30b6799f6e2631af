import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { runningChecksum } from '../../../src/local-sagemaker/s3/checksums.js';
import { AwsChunkedDecoder, isAwsChunked } from '../../../src/local-sagemaker/s3/request-body.js';

const checksumOf = (algorithm: Parameters<typeof runningChecksum>[0], data: string) => {
  const checksum = runningChecksum(algorithm);
  checksum.update(Buffer.from(data));
  return Buffer.from(checksum.digest(), 'base64').toString('hex');
};

/** Sends the framing in pieces of `size` bytes, so that lines and data are cut anywhere. */
async function decode(framed: string, size: number) {
  const pieces: Buffer[] = [];
  const bytes = Buffer.from(framed, 'latin1');
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  const decoder = new AwsChunkedDecoder();
  const body = await text(Readable.from(pieces).pipe(decoder));
  return { body, trailers: Object.fromEntries(decoder.trailers) };
}

describe('a request body as S3 receives it', () => {
  it('computes the checksums S3 checks, to their published check values', () => {
    // The check value of each CRC is its checksum of "123456789".
    assert.equal(checksumOf('crc32', '123456789'), 'cbf43926');
    assert.equal(checksumOf('crc32c', '123456789'), 'e3069283');
    assert.equal(checksumOf('sha1', 'abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  });

  it('removes aws-chunked framing, cut anywhere, and keeps the trailer', async () => {
    const framed =
      '5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n';
    for (const size of [1, 2, 3, 7, 64]) {
      const { body, trailers } = await decode(framed, size);
      assert.equal(body, 'hello world');
      assert.deepEqual(trailers, { 'x-amz-checksum-crc32': 'DUoRhQ==' });
    }
  });

  it('refuses a body whose framing is cut short or is not aws-chunked', async () => {
    await assert.rejects(decode('5\r\nhel', 64), { code: 'IncompleteBody' });
    await assert.rejects(decode('zz\r\nhello\r\n0\r\n\r\n', 64), { code: 'IncompleteBody' });
  });

  it('takes unsigned aws-chunked bodies and refuses signed ones, whose chunk signatures it does not check', () => {
    assert.equal(isAwsChunked({ 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }), true);
    assert.equal(isAwsChunked({ 'content-encoding': 'gzip, aws-chunked' }), true);
    assert.equal(isAwsChunked({ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }), false);
    for (const signed of ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'])
      assert.throws(() => isAwsChunked({ 'x-amz-content-sha256': signed }), { code: 'NotImplemented' });
  });
});
