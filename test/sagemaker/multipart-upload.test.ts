// The multipart upload of large files (src/sagemaker/multipart-upload.ts). Against the local S3
// server, for real: the object S3 assembles is the file, byte for byte, whatever the part
// boundaries. With a mocked S3 client (named so): the checksum protocol that only real S3 checks
// (the algorithm declared at creation, each part's checksum returned on completion), and a failed
// part aborting the upload.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import '../../src/shared/sdk-defaults.js';
import { uploadMultipart } from '../../src/sagemaker/multipart-upload.js';
import { createS3Client } from '../../src/sagemaker/s3-client.js';
import { type LocalRig, startLocalRig } from '../rig/local-sagemaker.js';
import { TestProject } from '../rig/project.js';
import { TEST_KEY } from '../rig/test-key.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('multipart upload, against the local S3 server', () => {
  let rig: LocalRig;
  let project: TestProject;
  before(async () => {
    rig = await startLocalRig();
    project = await TestProject.create();
  });
  after(async () => {
    await rig?.close();
    await project?.remove();
  });

  it('stores the file byte for byte, a short last part and more parts than buffers included', async () => {
    const content = randomBytes(16 * MiB + 12_345);
    const path = project.path('big.bin');
    await writeFile(path, content);
    const s3 = createS3Client({
      endpoint: rig.server.s3Endpoint,
      region: 'us-east-1',
      credentials: TEST_KEY,
      forcePathStyle: true,
    });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'multipart' }));
      let acknowledged = 0;
      const etag = await uploadMultipart({
        s3,
        bucket: 'multipart',
        key: 'data/big.bin',
        path,
        size: content.length,
        partSize: 5 * MiB, // S3's smallest: 4 parts, the last 1 MiB + 12,345 bytes
        concurrency: 2,
        signal: new AbortController().signal,
        onProgress: (bytes) => {
          acknowledged += bytes;
        },
      });
      assert.ok(etag.length > 0, 'the object has an ETag');
      assert.equal(acknowledged, content.length);
      const object = await s3.send(new GetObjectCommand({ Bucket: 'multipart', Key: 'data/big.bin' }));
      const stored = await object.Body?.transformToByteArray();
      assert.ok(stored);
      assert.equal(sha256(stored), sha256(content));
    } finally {
      s3.destroy();
    }
  });
});

describe('multipart upload, S3 protocol (mocked S3 client)', () => {
  let project: TestProject;
  let path: string;
  before(async () => {
    project = await TestProject.create();
    path = project.path('big.bin');
    await writeFile(path, randomBytes(5 * MiB));
  });
  after(() => project?.remove());

  const upload = (s3: S3Client) =>
    uploadMultipart({
      s3,
      bucket: 'b',
      key: 'k',
      path,
      size: 5 * MiB,
      partSize: 2 * MiB,
      concurrency: 3,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });

  it('declares CRC32 at creation and completes with every part checksum, in order', async () => {
    const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(s3);
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u-1' });
    mock.on(UploadPartCommand).callsFake(async (input: { PartNumber: number }) => ({
      ETag: `"etag-${input.PartNumber}"`,
      ChecksumCRC32: `crc-${input.PartNumber}`,
    }));
    mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"whole-3"' });
    assert.equal(await upload(s3), '"whole-3"');
    assert.equal(
      mock.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input.ChecksumAlgorithm,
      'CRC32',
    );
    const sizes = mock
      .commandCalls(UploadPartCommand)
      .map((call) => call.args[0].input)
      .sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0))
      .map((input) => [input.PartNumber, input.ContentLength]);
    assert.deepEqual(sizes, [
      [1, 2 * MiB],
      [2, 2 * MiB],
      [3, 1 * MiB],
    ]);
    assert.deepEqual(mock.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input.MultipartUpload, {
      Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"etag-${n}"`, ChecksumCRC32: `crc-${n}` })),
    });
    assert.equal(mock.commandCalls(AbortMultipartUploadCommand).length, 0);
  });

  it('aborts the upload when a part fails, and says why', async () => {
    const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(s3);
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u-2' });
    mock
      .on(UploadPartCommand)
      .rejects(Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' }));
    mock.on(AbortMultipartUploadCommand).resolves({});
    await assert.rejects(upload(s3), /internal error/);
    assert.deepEqual(mock.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input, {
      Bucket: 'b',
      Key: 'k',
      UploadId: 'u-2',
    });
    assert.equal(mock.commandCalls(CompleteMultipartUploadCommand).length, 0);
  });
});
