// The upload stage's comparison of a channel with its prefix, against the local S3 for real: the
// prefix listed in ranges at once (each object once, in S3's order, whatever is there that was
// not expected), and an unchanged channel known from its receipt (no file hashed, the manifest
// not read), while a change on either side, even one made behind its back, is still found.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { FileHasher } from '../../src/engine/plan/file-hasher.js';
import type { AwsConnection } from '../../src/sagemaker/aws-connection.js';
import { listObjects } from '../../src/sagemaker/remote-listing.js';
import { uploadChannels } from '../../src/sagemaker/upload-channels.js';
import { startTestS3, type TestS3 } from '../rig/local-s3.js';
import { TestProject } from '../rig/project.js';

// Past one page of 1,000 keys: the listing is cut into two ranges.
const FILES = 1_100;
const BUCKET = 'receipts';

describe('comparing a channel of 1,100 files with its prefix', () => {
  let server: TestS3;
  let project: TestProject;
  let connection: AwsConnection;
  const manifestFile = () => project.path('.pipeline/upload/local-manifest.json');
  const upload = async (hasher?: FileHasher) =>
    uploadChannels({
      connection,
      bucket: BUCKET,
      prefix: 'm',
      channels: { training: { path: 'data/training', distribution: 'FullyReplicated' } },
      projectDir: project.dir,
      manifestFile: manifestFile(),
      createBucket: false,
      hasher: hasher ?? (await FileHasher.open()),
      step: () => undefined,
      progress: () => undefined,
      log: () => undefined,
      signal: new AbortController().signal,
    });

  before(async () => {
    server = await startTestS3(BUCKET);
    project = await TestProject.create();
    await project.write(
      Object.fromEntries(
        Array.from({ length: FILES }, (_, i) => [
          `data/training/shard-${i % 3}/part-${String(i).padStart(5, '0')}.csv`,
          `${i},${i % 7}\n`,
        ]),
      ),
    );
    const region = 'us-east-1';
    connection = {
      target: 'local',
      region,
      s3: server.s3,
      sagemaker: new SageMakerClient({ region }),
      runtime: new SageMakerRuntimeClient({ region }),
      logs: new CloudWatchLogsClient({ region }),
      ecr: new ECRClient({ region }),
      poll: { firstMs: 10, maxMs: 10 },
    };
  });
  after(async () => {
    await server?.stop();
    await project?.remove();
  });

  it('lists the prefix in ranges at once: each object once, in order, unexpected keys included', async () => {
    const first = await upload();
    assert.equal(first.filesSent, FILES);
    // Keys the local data does not have, before, between and after the expected ones.
    for (const key of ['m/training/a.csv', 'm/training/shard-1/part-01000.csv~', 'm/training/zz.csv'])
      await server.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    const expectedKeys = Array.from(
      { length: FILES },
      (_, i) => `m/training/shard-${i % 3}/part-${String(i).padStart(5, '0')}.csv`,
    );
    const sequential = await listObjects({ s3: server.s3, bucket: BUCKET, prefix: 'm/training/' });
    const ranged = await listObjects({ s3: server.s3, bucket: BUCKET, prefix: 'm/training/', expectedKeys });
    assert.equal(sequential.length, FILES + 3);
    assert.deepEqual(ranged, sequential);
    for (const key of ['m/training/a.csv', 'm/training/shard-1/part-01000.csv~', 'm/training/zz.csv'])
      await server.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  });

  it('knows an unchanged channel from its receipt: nothing hashed, the manifest not needed', async () => {
    const sent = await upload();
    const manifest = await readFile(manifestFile());
    await rm(manifestFile());
    const hasher = await FileHasher.open();
    const again = await upload(hasher);
    await writeFile(manifestFile(), manifest);
    assert.equal(again.bytesSent, 0);
    assert.equal(again.filesUnchanged, FILES);
    assert.equal(hasher.bytesHashed, 0, 'no file read');
    assert.deepEqual(again.channels, sent.channels);
  });

  it('finds an object changed or added behind its back, and a changed file, despite the receipt', async () => {
    const before = await upload();
    // Same size, other bytes: only the listing's ETag tells.
    await server.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'm/training/shard-0/part-00000.csv', Body: '9,9\n' }),
    );
    await server.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'm/training/stray.csv', Body: 'x' }));
    const mended = await upload();
    assert.equal(mended.filesSent, 1);
    assert.equal(mended.objectsDeleted, 1);
    assert.deepEqual(mended.channels, before.channels);

    await project.write({ 'data/training/shard-1/part-00001.csv': '1,2,3\n' });
    const changed = await upload();
    assert.equal(changed.filesSent, 1);
    assert.notEqual(changed.channels.training?.contentHash, before.channels.training?.contentHash);
    const quiet = await upload();
    assert.equal(quiet.filesSent, 0);
    assert.deepEqual(quiet.channels, changed.channels);
  });
});
