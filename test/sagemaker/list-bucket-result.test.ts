// A listing's pages read by the pipeline's own scan (list-bucket-result.ts) instead of the SDK's
// XML parser: the same objects as the SDK reads from the same answers, keys with characters XML
// escapes included, page after page; and S3's documents read as S3 documents them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { isListBucketResult, parseListBucketResult } from '../../src/sagemaker/list-bucket-result.js';
import { listObjects } from '../../src/sagemaker/remote-listing.js';
import { startTestS3, type TestS3 } from '../rig/local-s3.js';

// The example answer of S3's API reference for ListObjectsV2, with a second page to come.
const DOCUMENTED = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix/>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>my-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>a &amp; b &lt;c&gt; &#233;&#x1F600;</Key>
    <ETag>"9b2cf535f27731c974343645a3985328-2"</ETag>
    <Size>0</Size>
  </Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>`;

describe('reading a ListBucketResult', () => {
  it('reads each object’s key, ETag and size, entities read, and where the next page starts', () => {
    assert.deepEqual(parseListBucketResult(DOCUMENTED), {
      objects: [
        { key: 'my-image.jpg', etag: '"fba9dede5f27731c9771645a39863328"', size: 434234 },
        { key: 'a & b <c> é😀', etag: '"9b2cf535f27731c974343645a3985328-2"', size: 0 },
      ],
      nextToken: '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=',
    });
  });

  it('ends a listing on a page that is not truncated, and reads an empty one', () => {
    const last = DOCUMENTED.replace('<IsTruncated>true</IsTruncated>', '<IsTruncated>false</IsTruncated>');
    assert.equal(parseListBucketResult(last).nextToken, undefined);
    assert.deepEqual(
      parseListBucketResult(
        '<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>',
      ),
      { objects: [], nextToken: undefined },
    );
  });

  it('refuses what is not a listing, and one cut short', () => {
    const error = '<?xml version="1.0"?><Error><Code>InternalError</Code></Error>';
    assert.equal(isListBucketResult(error), false);
    assert.throws(() => parseListBucketResult(error), /not a ListBucketResult/);
    assert.throws(() => parseListBucketResult(DOCUMENTED.slice(0, 400)), /has no end/);
  });
});

describe('listing through the SDK, each page read by the pipeline', () => {
  let s3: TestS3;
  const keys = [
    ...Array.from({ length: 2100 }, (_, i) => `data/part-${String(i).padStart(5, '0')}.csv`),
    'data/a & b.csv',
    'data/<tag>.csv',
    'data/"quoted" it\'s.csv',
    'data/ünïcödé/ß 😀.csv',
    'data/100% done.csv',
  ];
  before(async () => {
    s3 = await startTestS3('listing');
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((Key, j) =>
            s3.s3.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: 'x'.repeat((i + j) % 7) })),
          ),
      );
  });
  after(async () => {
    await s3.stop();
  });

  /** The SDK's own reading of the same listing, page by page. */
  async function sdkListing(): Promise<{ key: string; etag: string; size: number }[]> {
    const objects: { key: string; etag: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await s3.s3.send(
        new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'data/', ContinuationToken: token }),
      );
      for (const object of page.Contents ?? [])
        objects.push({ key: object.Key ?? '', etag: object.ETag ?? '', size: object.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  it('finds every object as the SDK reads it, page after page and in ranges at once', async () => {
    const expected = await sdkListing();
    assert.equal(expected.length, keys.length);
    assert.deepEqual(await listObjects({ s3: s3.s3, bucket: 'listing', prefix: 'data/' }), expected);
    assert.deepEqual(
      await listObjects({ s3: s3.s3, bucket: 'listing', prefix: 'data/', expectedKeys: keys }),
      expected,
    );
  });

  it('leaves S3’s errors to the SDK, as before', async () => {
    await assert.rejects(listObjects({ s3: s3.s3, bucket: 'no-such-bucket', prefix: 'data/' }), {
      message: /NoSuchBucket|does not exist/,
    });
  });
});
