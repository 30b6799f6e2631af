// Behaviour only the real AWS can show: throttling, AccessDenied, expired tokens. These use MOCKED
// AWS clients (aws-sdk-client-mock), as no local component can produce these faults; everything
// else is tested through the local SageMaker and S3.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { HeadBucketCommand, HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsConnection } from '../../src/sagemaker/aws-connection.js';
// The SDK's Node-version warning off, as for every client the CLI makes.
import '../../src/shared/sdk-defaults.js';
import type { PipelineConfig } from '../../src/engine/config/pipeline-config.js';
import { FileHasher } from '../../src/engine/plan/file-hasher.js';
import { endpointDrift, trainingDrift } from '../../src/sagemaker/drift.js';
import { sdkLooks } from '../../src/sagemaker/drift-sdk-looks.js';
import { invokeInBatches } from '../../src/sagemaker/invoke-batches.js';
import { runTrainingJob } from '../../src/sagemaker/training-job.js';
import { uploadChannels } from '../../src/sagemaker/upload-channels.js';
import { StageError } from '../../src/shared/errors.js';

const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' };
function connection(): AwsConnection {
  const region = 'eu-west-1';
  return {
    target: 'aws',
    region,
    sagemaker: new SageMakerClient({ region, credentials }),
    runtime: new SageMakerRuntimeClient({ region, credentials }),
    s3: new S3Client({ region, credentials }),
    logs: new CloudWatchLogsClient({ region, credentials }),
    ecr: new ECRClient({ region, credentials }),
    poll: { firstMs: 1, maxMs: 5 },
  };
}

/** An error shaped as the SDK raises a service exception. */
function awsError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
  });
}

const quiet = {
  step: () => undefined,
  progress: () => undefined,
  log: () => undefined,
  signal: new AbortController().signal,
};

const config = {
  name: 'm',
  target: 'aws',
  aws: { roleArn: 'arn:aws:iam::123456789012:role/R', bucket: 'b' },
  data: { training: { path: 'd', distribution: 'FullyReplicated' } },
  training: {
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    volumeSizeGB: 10,
    maxRuntimeSeconds: 60,
    spot: { enabled: false, checkpointLocalPath: '/opt/ml/checkpoints' },
    environment: {},
    hyperparameters: {},
    metricDefinitions: [],
  },
} as unknown as PipelineConfig;

/** A training job for `config` on a fresh (mocked) connection. */
const train = (saveJobName: (name: string) => Promise<void> = async () => undefined) =>
  runTrainingJob({
    connection: connection(),
    config,
    imageUri: 'i',
    channelUris: { training: 's3://b/m/training/' },
    bucket: 'b',
    saveJobName,
    logFile: join(tmpdir(), 'never-written.log'),
    ...quiet,
  });

describe('AWS faults (mocked AWS clients)', () => {
  const mocks: { restore(): void }[] = [];
  afterEach(() => {
    for (const mock of mocks.splice(0)) mock.restore();
  });

  it("invoke does not retry the model's own error, and shows its message", async () => {
    const runtime = mockClient(SageMakerRuntimeClient);
    mocks.push(runtime);
    runtime.on(InvokeEndpointCommand).rejects(
      Object.assign(awsError('ModelError', 'Received client error (400) from primary', 424), {
        OriginalMessage: 'row 1, column 2: not a number',
      }),
    );
    await assert.rejects(
      invokeInBatches({
        connection: connection(),
        endpointName: 'e',
        rows: ['1,x'],
        contentType: 'text/csv',
        accept: 'text/csv',
        batchSize: 10,
        concurrency: 1,
        ...quiet,
      }),
      (error: StageError) =>
        error instanceof StageError &&
        /refused rows 1-1/.test(error.message) &&
        error.detail === 'row 1, column 2: not a number',
    );
    assert.equal(runtime.commandCalls(InvokeEndpointCommand).length, 1);
  });

  it('train: AccessDenied names the missing permission and says what to check', async () => {
    const sagemaker = mockClient(SageMakerClient);
    mocks.push(sagemaker);
    sagemaker
      .on(CreateTrainingJobCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sagemaker:CreateTrainingJob',
          400,
        ),
      );
    await assert.rejects(
      train(),
      (error: StageError) =>
        /creating the training job m-\S+ failed: AccessDeniedException: .*sagemaker:CreateTrainingJob/.test(
          error.message,
        ) && /lack a permission/.test(error.detail ?? ''),
    );
  });

  it('train: a role SageMaker cannot assume points at aws.roleArn', async () => {
    const sagemaker = mockClient(SageMakerClient);
    mocks.push(sagemaker);
    sagemaker
      .on(CreateTrainingJobCommand)
      .rejects(
        awsError(
          'ValidationException',
          'Could not assume role arn:aws:iam::123456789012:role/R. Please ensure that the role exists and allows principal sagemaker.amazonaws.com to assume the role.',
          400,
        ),
      );
    await assert.rejects(
      train(),
      (error: StageError) =>
        /Could not assume role/.test(error.message) && /Check aws\.roleArn/.test(error.detail ?? ''),
    );
  });

  it('train: an expired session token while waiting says how to refresh it and that the run resumes', async () => {
    const sagemaker = mockClient(SageMakerClient);
    mocks.push(sagemaker);
    sagemaker.on(CreateTrainingJobCommand).resolves({ TrainingJobArn: 'arn' });
    sagemaker
      .on(DescribeTrainingJobCommand)
      .rejects(
        awsError('ExpiredTokenException', 'The security token included in the request is expired', 400),
      );
    let saved: string | undefined;
    await assert.rejects(
      train(async (name) => {
        saved = name;
      }),
      (error: StageError) =>
        /ExpiredTokenException/.test(error.message) && /has expired.*resumes/.test(error.detail ?? ''),
    );
    assert.ok(saved, 'the job name was saved before the wait, so the next run re-attaches');
  });

  it('upload: a bucket the credentials may not read is one clear message', async () => {
    const s3 = mockClient(S3Client);
    mocks.push(s3);
    s3.on(HeadBucketCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    const dir = await mkdtemp(join(tmpdir(), 'upload-denied-'));
    try {
      await assert.rejects(
        uploadChannels({
          connection: connection(),
          bucket: 'someone-elses-bucket',
          prefix: 'm',
          channels: {},
          projectDir: dir,
          manifestFile: join(dir, 'manifest.json'),
          createBucket: false,
          hasher: await FileHasher.open(),
          ...quiet,
        }),
        (error: StageError) =>
          /reaching the bucket someone-elses-bucket failed: AccessDenied: Access Denied/.test(
            error.message,
          ) && /lack a permission/.test(error.detail ?? ''),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('drift checks on AWS (mocked AWS clients)', () => {
  it('reads AWS\'s "not found" answers as drift, and passes other errors on', async () => {
    const aws = connection();
    const sagemaker = mockClient(aws.sagemaker);
    const s3 = mockClient(aws.s3);
    try {
      const looks = sdkLooks(aws);
      sagemaker.on(DescribeEndpointCommand).rejects(
        Object.assign(new Error('Could not find endpoint "arn:aws:sagemaker:eu-west-1:1:endpoint/ep".'), {
          name: 'ValidationException',
        }),
      );
      assert.equal(await endpointDrift(looks, 'ep', 'dep-1'), 'endpoint ep no longer exists');
      sagemaker.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'Completed' } as never);
      s3.on(HeadObjectCommand)
        .rejectsOnce(new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } }))
        .rejectsOnce(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
      assert.equal(
        await trainingDrift(looks, 'job', 's3://bucket/out/model.tar.gz'),
        'the model artifact s3://bucket/out/model.tar.gz no longer exists',
      );
      await assert.rejects(trainingDrift(looks, 'job', 's3://bucket/out/model.tar.gz'), {
        name: 'AccessDenied',
      });
    } finally {
      sagemaker.restore();
      s3.restore();
    }
  });
});
