// What the S3 benchmarks share: the S3 server in a process of its own (`pipeline local serve`,
// as the local target runs it; in the measuring process it would share one thread with the
// uploader it measures), the aws CLI pointed at it, and the upload stage's code called directly.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { execa } from 'execa';
import type { FileHasher } from '../src/engine/plan/file-hasher.js';
import type { AwsConnection } from '../src/sagemaker/aws-connection.js';
import { createS3Client } from '../src/sagemaker/s3-client.js';
import { uploadChannels } from '../src/sagemaker/upload-channels.js';
import { TEST_KEY } from '../test/rig/test-key.js';

export const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** CPU seconds (user + system) a process has used, or its waited-for children have, from /proc. */
export function cpuSeconds(pid: number | 'self', of: 'itself' | 'children' = 'itself'): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  const [user, system] = of === 'itself' ? [fields[11], fields[12]] : [fields[13], fields[14]];
  return (Number(user) + Number(system)) / 100; // clock ticks (USER_HZ, 100 on Linux)
}

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'pipeline.js');

export interface S3Rig {
  endpoint: string;
  /** The S3 server's pid, for its CPU time. */
  pid: number;
  s3: S3Client;
  connection: AwsConnection;
  /** `aws --endpoint-url … ARGS`; its wall time in seconds. */
  awsCli(args: string[]): Promise<number>;
  /** The upload stage's code sending one channel; its wall time and the bytes it sent. */
  upload(request: {
    bucket: string;
    channel: string;
    path: string;
    manifestFile: string;
    projectDir: string;
    hasher: FileHasher;
  }): Promise<{ seconds: number; bytes: number }>;
  close(): Promise<void>;
}

/** `serverCli`: the pipeline CLI whose `local serve` runs the S3 server (another version's, to compare). */
export async function startS3Rig(dataDir: string, serverCli = cli): Promise<S3Rig> {
  // The server accepts the pair of its environment, which the rig's clients sign with.
  const child = execa(process.execPath, [serverCli, 'local', 'serve', '--data-dir', dataDir, '--json'], {
    reject: false,
    env: { AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey },
  });
  const facts = await new Promise<{ s3Endpoint: string }>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      try {
        resolve(JSON.parse(text));
      } catch {
        // Not the whole document yet.
      }
    });
    void child.then((result) => reject(new Error(`local serve exited: ${result.stderr}`)));
  });
  const region = 'us-east-1';
  const s3 = createS3Client({
    endpoint: facts.s3Endpoint,
    region,
    credentials: TEST_KEY,
    forcePathStyle: true,
  });
  const connection = {
    target: 'local',
    region,
    s3,
    sagemaker: new SageMakerClient({ region }),
    runtime: new SageMakerRuntimeClient({ region }),
    logs: new CloudWatchLogsClient({ region }),
    ecr: new ECRClient({ region }),
    poll: { firstMs: 100, maxMs: 100 },
  } satisfies AwsConnection;
  const awsEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return {
    endpoint: facts.s3Endpoint,
    pid: child.pid as number,
    s3,
    connection,
    awsCli: async (args) => {
      const start = process.hrtime.bigint();
      const result = await execa('aws', ['--endpoint-url', facts.s3Endpoint, ...args], {
        env: awsEnv,
        reject: false,
      });
      if (result.exitCode !== 0)
        throw new Error(`aws ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
      return seconds(start);
    },
    upload: async ({ bucket, channel, path, manifestFile, projectDir, hasher }) => {
      const start = process.hrtime.bigint();
      const result = await uploadChannels({
        connection,
        bucket,
        prefix: 'data',
        channels: { [channel]: { path, distribution: 'FullyReplicated' } },
        projectDir,
        manifestFile,
        createBucket: true,
        // Hashes cached as the engine's are: the stage hashes its inputs before it runs.
        hasher,
        step: () => undefined,
        progress: () => undefined,
        log: () => undefined,
        signal: new AbortController().signal,
      });
      return { seconds: seconds(start), bytes: result.bytesSent };
    },
    close: async () => {
      s3.destroy();
      child.kill('SIGTERM');
      await child;
    },
  };
}
