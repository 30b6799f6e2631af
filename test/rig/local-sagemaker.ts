// A local SageMaker for a test: started in a temporary folder, with real SDK clients pointed at
// it and its S3, and helpers to stage data and wait for jobs.
import { pathToFileURL } from 'node:url';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointConfigCommand,
  CreateModelCommand,
  type CreateTrainingJobCommandInput,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { type LocalSageMaker, startLocalSageMaker } from '../../src/local-sagemaker/local-sagemaker.js';
import { loadServiceModel, responseProblems, type ServiceName } from '../../src/shared/service-model.js';
import { signedHeaders } from '../../src/shared/sigv4.js';
import { containerDir } from './example-model.js';
import { TestProject, waitFor } from './project.js';
import { TEST_KEY } from './test-key.js';

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
  const server = await startLocalSageMaker({
    dataDir: project.path('.pipeline', 'local'),
    keys: [TEST_KEY],
    // The example's programs, and the images a test makes in its project.
    fileImages: { roots: [containerDir, project.dir] },
    ...options,
  });
  return connectRig(project, server);
}

/** Clients for a running local SageMaker; close() stops it and removes the project. */
export function connectRig(project: TestProject, server: LocalSageMaker): LocalRig {
  const common = { region: server.region, credentials: TEST_KEY };
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

/** A model from a training job's artifact (if any) and a one-variant endpoint config that serves it. */
export async function createModelWithConfig(
  sagemaker: SageMakerClient,
  names: { model: string; config: string },
  image: string,
  artifact: string | undefined,
  instanceCount = 1,
): Promise<void> {
  await sagemaker.send(
    new CreateModelCommand({
      ModelName: names.model,
      ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: image, ModelDataUrl: artifact },
    }),
  );
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: names.config,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: names.model,
          InstanceType: 'ml.t2.medium',
          InitialInstanceCount: instanceCount,
        },
      ],
    }),
  );
}

export function waitForEndpoint(
  sagemaker: SageMakerClient,
  name: string,
  seconds = 120,
): Promise<DescribeEndpointCommandOutput> {
  return waitFor(
    async () => {
      const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      return endpoint.EndpointStatus === 'InService' || endpoint.EndpointStatus === 'Failed'
        ? endpoint
        : undefined;
    },
    `endpoint ${name} to settle`,
    seconds,
  );
}

export interface JobSpec {
  name: string;
  /** s3://BUCKET/PREFIX/ of the training channel; the output goes to s3://BUCKET/output. */
  data: string;
  hyperparameters: Record<string, string>;
  image?: string;
  maxRuntimeSeconds?: number;
}

/** A CreateTrainingJob request with one `training` channel and the example's metric lines. */
export function trainingJobRequest(spec: JobSpec): CreateTrainingJobCommandInput {
  const bucket = spec.data.match(/^s3:\/\/([^/]+)/)?.[1];
  return {
    TrainingJobName: spec.name,
    RoleArn: ROLE,
    AlgorithmSpecification: {
      TrainingImage: spec.image ?? PROCESS_IMAGE,
      TrainingInputMode: 'File',
      MetricDefinitions: [
        { Name: 'loss', Regex: '\\bloss=([0-9.]+)' },
        { Name: 'accuracy', Regex: '\\baccuracy=([0-9.]+)' },
      ],
    },
    HyperParameters: spec.hyperparameters,
    InputDataConfig: [
      {
        ChannelName: 'training',
        ContentType: 'text/csv',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: spec.data } },
      },
    ],
    OutputDataConfig: { S3OutputPath: `s3://${bucket}/output` },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: spec.maxRuntimeSeconds ?? 600 },
  };
}

/**
 * An operation called over the wire (AWS JSON 1.1), its answer checked against the service's
 * output shape in AWS's model: required members present, no unknown members, enums valid.
 */
export async function callChecked(
  endpoint: string,
  service: ServiceName,
  operation: string,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const model = await loadServiceModel(service);
  const body = JSON.stringify(input);
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: signedHeaders({
      method: 'POST',
      url: new URL(endpoint),
      headers: {
        'x-amz-target': `${model.metadata.targetPrefix}.${operation}`,
        'content-type': 'application/x-amz-json-1.1',
      },
      body,
      region: 'us-east-1',
      service,
      key: TEST_KEY,
    }),
    body,
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200)
    throw Object.assign(new Error(String(answer.message)), { name: answer.__type });
  const problems = responseProblems(model, operation, answer);
  if (problems.length > 0)
    throw new Error(
      `${operation}'s answer does not fit its output shape: ${problems.join('; ')}\n${JSON.stringify(answer)}`,
    );
  return answer;
}
