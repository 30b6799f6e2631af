// The local S3 keeps every object S3 keeps and reads it back as S3 does: a GET while the object
// is being replaced sees the old object or the new one, never the new bytes cut to the old length;
// keys with empty segments (`a//b`, `/a`, `folder/`) and keys longer than a file name may be (up
// to S3's 1,024 bytes) are stored, read and listed under their own names; a Range header is read
// as S3 reads it (a suffix, an open end, one past the end, several at once).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startTestS3, type TestS3 } from '../../rig/local-s3.js';

const BUCKET = 'objects';

describe('the local S3’s objects', () => {
  let server: TestS3;
  let s3: S3Client;
  const put = (key: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const get = async (key: string, range?: string) => {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, ...(range ? { Range: range } : {}) }),
    );
    return {
      status: object.$metadata.httpStatusCode,
      range: object.ContentRange,
      body: await object.Body?.transformToString(),
    };
  };

  before(async () => {
    server = await startTestS3(BUCKET);
    s3 = server.s3;
  });
  after(() => server.stop());

  it('never answers a GET with part of a replaced object, during and after the replacement', async () => {
    await put('replaced', 'a'.repeat(100));
    const seen = new Set<string>();
    let writing = true;
    const readers = [1, 2, 3].map(async () => {
      while (writing) {
        const { body = '' } = await get('replaced');
        seen.add(`${body.length}${body[0]}`);
      }
    });
    for (let i = 0; i < 30; i++) await put('replaced', i % 2 === 0 ? 'b'.repeat(300) : 'a'.repeat(100));
    writing = false;
    await Promise.all(readers);
    for (const body of seen) assert.ok(body === '100a' || body === '300b', `a torn read: ${[...seen]}`);
    // The last write was 100 a's; every later read sees exactly it.
    for (let i = 0; i < 5; i++) assert.equal((await get('replaced')).body, 'a'.repeat(100));
  });

  it('keeps keys with empty segments under their own names, apart from their neighbours', async () => {
    const keys = ['dir//double.txt', 'dir/double.txt', '/leading.txt', 'folder/', 'folder', 'a///b'];
    for (const key of keys) await put(key, `body of ${key}`);
    for (const key of keys) assert.equal((await get(key)).body, `body of ${key}`, key);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    for (const key of keys)
      assert.ok(
        listed.Contents?.some((object) => object.Key === key),
        `${key} listed`,
      );
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'dir//double.txt' }));
    assert.equal((await get('dir/double.txt')).body, 'body of dir/double.txt');
  });

  it('keeps keys up to S3’s 1,024 bytes, however long one segment is', async () => {
    const keys = [
      `long/${'k'.repeat(230)}.csv`,
      `${'x'.repeat(600)}/${'y'.repeat(400)}`,
      'é'.repeat(512),
      `~${'t'.repeat(300)}`,
    ];
    for (const key of keys) assert.ok(Buffer.byteLength(key) <= 1024, key);
    for (const key of keys) await put(key, `body of ${key.length}`);
    for (const key of keys) assert.equal((await get(key)).body, `body of ${key.length}`);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'long/' }));
    assert.deepEqual(
      listed.Contents?.map((object) => object.Key),
      [keys[0]],
    );
    const all = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents?.map(
      (object) => object.Key,
    );
    for (const key of keys) assert.ok(all?.includes(key), `${key.slice(0, 20)}… listed`);
  });

  it('reads a Range header as S3 does', async () => {
    await put('digits', '0123456789');
    assert.deepEqual(await get('digits', 'bytes=-5'), { status: 206, range: 'bytes 5-9/10', body: '56789' });
    assert.deepEqual(await get('digits', 'bytes=2-4'), { status: 206, range: 'bytes 2-4/10', body: '234' });
    assert.deepEqual(await get('digits', 'bytes=0-0'), { status: 206, range: 'bytes 0-0/10', body: '0' });
    assert.deepEqual(await get('digits', 'bytes=7-'), { status: 206, range: 'bytes 7-9/10', body: '789' });
    assert.deepEqual(await get('digits', 'bytes=-20'), {
      status: 206,
      range: 'bytes 0-9/10',
      body: '0123456789',
    });
    assert.deepEqual(await get('digits', 'bytes=0-1,4-5'), {
      status: 200,
      range: undefined,
      body: '0123456789',
    });
    for (const range of ['bytes=10-', 'bytes=20-30', 'bytes=-0'])
      await assert.rejects(get('digits', range), { name: 'InvalidRange' }, range);
  });

  it('refuses a body that does not match its Content-MD5, keeping the object, and names what it does not run', async () => {
    await put('checked', 'original');
    await assert.rejects(
      s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'checked',
          Body: 'tampered',
          ContentMD5: Buffer.alloc(16).toString('base64'),
        }),
      ),
      { name: 'BadDigest' },
    );
    assert.equal((await get('checked')).body, 'original');
    await assert.rejects(s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'checked' })), {
      name: 'NotImplemented',
      message: /GET \?tagging is not implemented by the local S3/,
    });
  });
});
