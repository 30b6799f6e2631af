// Multipart uploads in the local S3 as S3 completes them: the object is its parts in order, its
// ETag is S3's multipart ETag (the MD5 of the parts' MD5s, a dash, their count), and a completion
// naming a part that is missing, out of order or too small is refused with S3's error, the upload
// kept. Checked with the SDK and with the aws CLI (botocore), which parse the answer S3 sends
// while it assembles (a 200, then white space, then the result).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { AWS_CLI_ENV, awsCliAvailable } from '../../rig/aws-cli.js';
import { startTestS3, type TestS3 } from '../../rig/local-s3.js';

const MiB = 1024 * 1024;
const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest();
/** S3's ETag of an object uploaded in these parts. */
const multipartEtag = (parts: Uint8Array[]) =>
  `"${createHash('md5')
    .update(Buffer.concat(parts.map(md5)))
    .digest('hex')}-${parts.length}"`;

/** An S3 error with this code and status 400, as S3 refuses a completion. */
const refusedWith = (code: string) => (error: { name?: string; $metadata?: { httpStatusCode?: number } }) =>
  error.name === code && error.$metadata?.httpStatusCode === 400;

describe('multipart uploads in the local S3', () => {
  let server: TestS3;
  before(async () => {
    server = await startTestS3('parts');
  });
  after(() => server?.stop());

  /** Creates an upload and sends each part; the upload id and each part's ETag. */
  async function upload(Key: string, parts: Uint8Array[]) {
    const { UploadId } = await server.s3.send(new CreateMultipartUploadCommand({ Bucket: 'parts', Key }));
    const etags: string[] = [];
    for (const [index, Body] of parts.entries()) {
      const sent = await server.s3.send(
        new UploadPartCommand({ Bucket: 'parts', Key, UploadId, PartNumber: index + 1, Body }),
      );
      etags.push(sent.ETag as string);
    }
    return { UploadId: UploadId as string, etags };
  }
  const complete = (Key: string, UploadId: string, Parts: { PartNumber: number; ETag: string }[]) =>
    server.s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'parts', Key, UploadId, MultipartUpload: { Parts } }),
    );

  it("stores the parts in order under S3's multipart ETag, the same in every answer", async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(12_345)];
    const { UploadId, etags } = await upload('data/big.bin', parts);
    const done = await complete(
      'data/big.bin',
      UploadId,
      etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })),
    );
    const expected = multipartEtag(parts);
    assert.equal(done.ETag, expected);
    const head = await server.s3.send(new HeadObjectCommand({ Bucket: 'parts', Key: 'data/big.bin' }));
    assert.equal(head.ETag, expected);
    assert.equal(head.ContentLength, 10 * MiB + 12_345);
    const listed = await server.s3.send(new ListObjectsV2Command({ Bucket: 'parts', Prefix: 'data/big' }));
    assert.equal(listed.Contents?.[0]?.ETag, expected);
    const object = await server.s3.send(new GetObjectCommand({ Bucket: 'parts', Key: 'data/big.bin' }));
    const body = Buffer.from((await object.Body?.transformToByteArray()) as Uint8Array);
    assert.ok(body.equals(Buffer.concat(parts)), 'the object is its parts, in order');
  });

  it('refuses a part not uploaded with that ETag, parts out of order, and a small part before the last, keeping the upload', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(1 * MiB), randomBytes(100)];
    const { UploadId, etags } = await upload('data/refused.bin', parts);
    const [first, second, third] = etags as [string, string, string];
    await assert.rejects(
      complete('data/refused.bin', UploadId, [
        { PartNumber: 1, ETag: first },
        { PartNumber: 2, ETag: third },
      ]),
      refusedWith('InvalidPart'),
    );
    await assert.rejects(
      complete('data/refused.bin', UploadId, [
        { PartNumber: 2, ETag: second },
        { PartNumber: 1, ETag: first },
      ]),
      refusedWith('InvalidPartOrder'),
    );
    await assert.rejects(
      complete('data/refused.bin', UploadId, [
        { PartNumber: 1, ETag: first },
        { PartNumber: 2, ETag: second },
        { PartNumber: 3, ETag: third },
      ]),
      refusedWith('EntityTooSmall'),
    );
    // Refused, not lost: the upload completes with parts S3 accepts (a short last part).
    const done = await complete('data/refused.bin', UploadId, [
      { PartNumber: 1, ETag: first },
      { PartNumber: 2, ETag: second },
    ]);
    assert.equal(done.ETag, multipartEtag(parts.slice(0, 2)));
  });

  it('completes an upload the aws CLI sends in parts', async (t) => {
    if (!(await awsCliAvailable(t))) return;
    const dir = await mkdtemp(join(tmpdir(), 'multipart-cli-'));
    try {
      // Above the CLI's 8 MiB threshold: two parts, 8 MiB and 3 MiB.
      const content = randomBytes(11 * MiB);
      await writeFile(join(dir, 'big.bin'), content);
      const aws = (args: string[]) =>
        execa('aws', ['--endpoint-url', server.endpoint, ...args], {
          env: AWS_CLI_ENV,
          reject: false,
          cwd: dir,
        });
      const sent = await aws(['s3', 'cp', 'big.bin', 's3://parts/cli/big.bin']);
      assert.equal(sent.exitCode, 0, String(sent.stderr));
      const object = await server.s3.send(new GetObjectCommand({ Bucket: 'parts', Key: 'cli/big.bin' }));
      assert.equal(object.ETag, multipartEtag([content.subarray(0, 8 * MiB), content.subarray(8 * MiB)]));
      const body = Buffer.from((await object.Body?.transformToByteArray()) as Uint8Array);
      assert.ok(body.equals(content));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
