// A local S3 server of a test's own (the one the local SageMaker runs) in a temporary folder,
// with a bucket and an SDK client that sends no retries: what the S3 tests start from.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { startLocalS3 } from '../../src/local-sagemaker/s3/local-s3.js';
import { TEST_KEY } from './test-key.js';

export interface TestS3 {
  endpoint: string;
  /** Where the server keeps its buckets. */
  dir: string;
  s3: S3Client;
  stop(): Promise<void>;
}

/** An SDK client of a local S3 server: its own key pair, path-style addressing. */
export function localS3Client(endpoint: string, settings: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: TEST_KEY,
    forcePathStyle: true,
    ...settings,
  });
}

export async function startTestS3(bucket: string): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), 'test-s3-'));
  const server = await startLocalS3(dir, [TEST_KEY]);
  const s3 = localS3Client(server.endpoint, { maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint: server.endpoint,
    dir,
    s3,
    stop: async () => {
      s3.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
