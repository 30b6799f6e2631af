// A local SageMaker for a test: started in a temporary folder, with real SDK clients pointed at
// it and its S3, and helpers to stage data and wait for jobs.
import { pathToFileURL } from 'node:url';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { LOCAL_CREDENTIALS } from '../../src/aws/sdk-defaults.js';
import { type LocalSageMaker, startLocalSageMaker } from '../../src/local/sagemaker/local-sagemaker.js';
import { containerDir } from './example-model.js';
import { TestProject, waitFor } from './project.js';

export const ROLE = 'arn:aws:iam::000000000000:role/SageMakerRole';
export const PROCESS_IMAGE = pathToFileURL(containerDir).href;

export interface LocalRig {
  project: TestProject;
  server: LocalSageMaker;
  sagemaker: SageMakerClient;
  s3: S3Client;
  logs: CloudWatchLogsClient;
  runtime: SageMakerRuntimeClient;
  close(): Promise<void>;
}

export async function startLocalRig(options: { stopGraceSeconds?: number } = {}): Promise<LocalRig> {
  const project = await TestProject.create();
  const server = await startLocalSageMaker({ dataDir: project.path('.pipeline', 'local'), ...options });
  return connectRig(project, server);
}

/** Clients for a running local SageMaker; close() stops it and removes the project. */
export function connectRig(project: TestProject, server: LocalSageMaker): LocalRig {
  const common = { region: server.region, credentials: LOCAL_CREDENTIALS };
  const sagemaker = new SageMakerClient({ ...common, endpoint: server.endpoint });
  const logs = new CloudWatchLogsClient({ ...common, endpoint: server.endpoint });
  const s3 = new S3Client({ ...common, endpoint: server.s3Endpoint, forcePathStyle: true });
  const runtime = new SageMakerRuntimeClient({ ...common, endpoint: server.endpoint });
  return {
    runtime,
    project,
    server,
    sagemaker,
    s3,
    logs,
    close: async () => {
      for (const client of [sagemaker, logs, s3, runtime]) client.destroy();
      await server.close();
      await project.remove();
    },
  };
}

export async function putObjects(
  s3: S3Client,
  bucket: string,
  objects: Record<string, string>,
): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  for (const [key, body] of Object.entries(objects))
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

const FINAL = new Set(['Completed', 'Failed', 'Stopped']);

export function waitForJob(
  sagemaker: SageMakerClient,
  name: string,
  seconds = 120,
): Promise<DescribeTrainingJobCommandOutput> {
  return waitFor(
    async () => {
      const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
      return FINAL.has(job.TrainingJobStatus ?? '') ? job : undefined;
    },
    `training job ${name} to end`,
    seconds,
  );
}
