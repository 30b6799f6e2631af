// The local S3 lists a prefix of more than 1,000 keys as S3 does: pages of 1,000 in UTF-8 binary
// order, continuation tokens and StartAfter, through the SDK and the aws CLI; and a listing
// after a write or a delete shows it (the server keeps each walk's sorted keys between pages,
// and each object's metadata until it is written).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { startLocalS3 } from '../../../src/local-sagemaker/s3/local-s3.js';
import { inParallel } from '../../../src/shared/in-parallel.js';
import { localS3Client, startTestS3, type TestS3 } from '../../rig/local-s3.js';
import { TEST_KEY } from '../../rig/test-key.js';

const BUCKET = 'listing';
const COUNT = 1_050;

describe('listing more than a page of keys in the local S3', () => {
  let server: TestS3;
  // Shards of 1,000 as image data sets come, and names whose order differs between a folder
  // walk and UTF-8 binary order ('-' sorts before '/').
  const keys = [
    ...Array.from(
      { length: COUNT - 2 },
      (_, i) => `data/shard-${String(Math.floor(i / 1000))}/part-${String(i).padStart(5, '0')}.bin`,
    ),
    'data/shard-0-extra.bin',
    'data/shard-0/z/deeper.bin',
  ];
  const binaryOrder = (list: string[]) =>
    [...list].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

  async function listAll(extra: { StartAfter?: string } = {}): Promise<{ keys: string[]; pages: number }> {
    const listed: string[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page = await server.s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'data/', ContinuationToken: token, ...extra }),
      );
      pages++;
      listed.push(...(page.Contents ?? []).map((object) => object.Key as string));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { keys: listed, pages };
  }

  before(async () => {
    server = await startTestS3(BUCKET);
    await inParallel(keys, 16, async (Key) => {
      await server.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
    });
  });
  after(() => server.stop());

  it('pages through every key in binary order with the SDK, and from StartAfter', async () => {
    const { keys: listed, pages } = await listAll();
    assert.equal(pages, 2);
    assert.deepEqual(listed, binaryOrder(keys));
    const from = binaryOrder(keys)[567] as string;
    const rest = await listAll({ StartAfter: from });
    assert.deepEqual(rest.keys, binaryOrder(keys).slice(568));
  });

  it('gives the aws CLI every key, through its own pagination', async () => {
    const result = await execa(
      'aws',
      [
        '--endpoint-url',
        server.endpoint,
        's3api',
        'list-objects-v2',
        '--bucket',
        BUCKET,
        '--prefix',
        'data/',
        '--page-size',
        '700',
        '--query',
        'Contents[].Key',
        '--output',
        'json',
      ],
      {
        env: {
          AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      },
    );
    assert.deepEqual(JSON.parse(result.stdout), binaryOrder(keys));
  });

  it('shows a write and a delete in the next listing, even between its pages', async () => {
    const first = await server.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'data/' }));
    await server.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'data/shard-1/part-01040.bin' }));
    await server.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'data/shard-1/part-09999.bin', Body: 'x' }),
    );
    const rest: string[] = [];
    let token = first.NextContinuationToken;
    while (token) {
      const page = await server.s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'data/', ContinuationToken: token }),
      );
      rest.push(...(page.Contents ?? []).map((object) => object.Key as string));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    }
    assert.ok(!rest.includes('data/shard-1/part-01040.bin'), 'the deleted key is gone');
    assert.ok(rest.includes('data/shard-1/part-09999.bin'), 'the new key is listed');
    assert.equal((await listAll()).keys.length, COUNT);
  });

  it('shows an overwritten object with its new ETag and size, and a deleted one as gone, after they were listed', async () => {
    const key = 'data/shard-0/part-00001.bin';
    const etagOf = async () =>
      (await server.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key }))).Contents?.[0];
    const before = await etagOf();
    await server.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const put = await server.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'a longer body than before' }),
    );
    const after = await etagOf();
    assert.notEqual(after?.ETag, before?.ETag);
    assert.equal(after?.ETag, put.ETag);
    assert.equal(after?.Size, 'a longer body than before'.length);
    const head = await server.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(head.ETag, put.ETag);
    await server.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(await etagOf(), undefined);
    await assert.rejects(server.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), {
      name: 'NotFound',
    });
  });

  it('lists objects written before it started with the ETags they were written with, an MD5 file gone included', async () => {
    const etags = new Map<string, string>();
    for (const Key of ['data/later/a.bin', 'data/later/b.bin']) {
      const put = await server.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: `body of ${Key}` }));
      etags.set(Key, put.ETag as string);
    }
    // As older stores (s3rver) left them: the headers alone in the metadata file, the ETag in a
    // file of its own for a.bin, and nowhere at all for b.bin.
    for (const [name, md5File] of [
      ['a.bin', true],
      ['b.bin', false],
    ] as const) {
      const base = join(server.dir, BUCKET, 'data', 'later', `${name}._S3rver_`);
      await writeFile(`${base}metadata.json`, JSON.stringify({ 'content-type': 'application/octet-stream' }));
      if (md5File)
        await writeFile(`${base}object.md5`, (etags.get(`data/later/${name}`) as string).replaceAll('"', ''));
    }
    // A second server over the same folder knows nothing yet: it reads every object's files.
    const fresh = await startLocalS3(server.dir, [TEST_KEY]);
    const client = localS3Client(fresh.endpoint);
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'data/later/' }));
      assert.deepEqual(
        listed.Contents?.map((object) => [object.Key, object.ETag]),
        [...etags],
      );
    } finally {
      client.destroy();
      await fresh.close();
    }
  });
});
