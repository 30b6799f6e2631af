// Multipart uploads a killed run left unfinished are aborted, under the channel's prefix only,
// against the real local S3 (which now answers ListMultipartUploads and AbortMultipartUpload):
// their parts leave the disk.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { abortStaleUploads } from '../../src/sagemaker/stale-uploads.js';
import { type LocalRig, startLocalRig } from '../rig/local-sagemaker.js';

describe('unfinished multipart uploads', () => {
  let rig: LocalRig;
  before(async () => {
    rig = await startLocalRig();
  });
  after(() => rig.close());

  const begin = async (key: string) => {
    const upload = await rig.s3.send(new CreateMultipartUploadCommand({ Bucket: 'stale-bucket', Key: key }));
    await rig.s3.send(
      new UploadPartCommand({
        Bucket: 'stale-bucket',
        Key: key,
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: Buffer.alloc(256 * 1024, 1),
      }),
    );
    return upload.UploadId as string;
  };

  it('are aborted under the prefix, their parts removed, and others left alone', async () => {
    await rig.s3.send(new CreateBucketCommand({ Bucket: 'stale-bucket' }));
    await begin('pipe/training/big-1.bin');
    await begin('pipe/training/sub/big-2.bin');
    const other = await begin('pipe/trainingset/big-3.bin');
    const uploadsDir = rig.project.path('.pipeline', 'local', 's3', 'stale-bucket', '._S3rver_uploads');
    assert.equal((await readdir(uploadsDir)).length, 3);

    const lines: string[] = [];
    const aborted = await abortStaleUploads(rig, 'stale-bucket', 'pipe/training/', (line) =>
      lines.push(line),
    );
    assert.equal(aborted, 2);
    assert.match(
      lines.join('\n'),
      /aborted 2 unfinished multipart upload\(s\) under s3:\/\/stale-bucket\/pipe\/training\//,
    );
    const left = await rig.s3.send(new ListMultipartUploadsCommand({ Bucket: 'stale-bucket' }));
    assert.deepEqual(
      left.Uploads?.map((upload) => upload.UploadId),
      [other],
    );
    assert.deepEqual(
      await readdir(uploadsDir),
      [other],
      'the parts of the aborted uploads are gone from disk',
    );
    assert.equal(await abortStaleUploads(rig, 'stale-bucket', 'pipe/training/', () => undefined), 0);
  });
});
