// Names and keys from a request never reach a file outside the local services' stores. Every
// operation of the local SageMaker, its runtime, ECR and CloudWatch Logs is sent `../`, absolute
// paths, encoded separators and over-long names through the AWS SDK, and answers with the
// service's validation error; a file planted outside the store is neither read, changed nor
// deleted, and nothing is written beside it. The local S3 keeps keys holding `..` (S3 takes them
// as plain characters) inside its folder, and lists and returns them under their own names.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
} from '@aws-sdk/client-ecr';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTrainingJobCommand,
  StopTrainingJobCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { signedHeaders } from '../../src/shared/sigv4.js';
import { type LocalRig, putObjects, ROLE, startLocalRig } from '../rig/local-sagemaker.js';
import { TEST_KEY } from '../rig/test-key.js';

const VICTIM = { ModelName: 'victim', secret: 'outside the store' };

/** Names that would leave a store if they became paths, at several depths. */
const HOSTILE = [
  ...[1, 2, 3, 4, 5, 6].map((depth) => `${'../'.repeat(depth)}victim`),
  '/etc/passwd',
  '..',
  '.',
  'a/../../victim',
  '..%2F..%2Fvictim',
  '..\\..\\victim',
  'victim\u0000',
  'x'.repeat(64),
  'x'.repeat(5000),
];

/**
 * A signed PUT whose path is sent as written (fetch and the SDKs resolve dot segments first), so
 * that the server's handling of the path is what refuses it, not its authentication.
 */
function rawPut(port: number, path: string): Promise<number> {
  const headers = signedHeaders({
    method: 'PUT',
    url: new URL(`http://127.0.0.1:${port}/`),
    rawPath: path,
    headers: {},
    body: 'x',
    region: 'us-east-1',
    service: 's3',
    key: TEST_KEY,
  });
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'PUT', headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end('x');
  });
}

async function filesOutside(dir: string, store: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.startsWith(store))
    .map((path) => relative(dir, path))
    .sort();
}

describe('hostile names and keys', () => {
  let rig: LocalRig;
  let ecr: ECRClient;
  let store: string;
  let before_: string[];

  before(async () => {
    rig = await startLocalRig();
    store = rig.project.path('.pipeline', 'local');
    ecr = new ECRClient({
      endpoint: rig.server.endpoint,
      region: rig.server.region,
      credentials: TEST_KEY,
      maxAttempts: 1,
    });
    await writeFile(rig.project.path('victim.json'), JSON.stringify(VICTIM));
    await writeFile(rig.project.path('.pipeline', 'victim.json'), JSON.stringify(VICTIM));
    before_ = await filesOutside(rig.project.dir, store);
  });
  after(async () => {
    ecr.destroy();
    await rig.close();
  });

  async function assertRefused(what: string, send: () => Promise<unknown>, errors: RegExp): Promise<void> {
    await assert.rejects(send, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.match(error.name, errors, `${what}: ${error.name}: ${error.message}`);
      assert.ok((error.$metadata?.httpStatusCode ?? 0) < 500, `${what}: ${error.message}`);
      return true;
    });
  }

  it('every SageMaker operation answers a ValidationException', async () => {
    const sm = rig.sagemaker;
    for (const name of HOSTILE) {
      const calls: [string, () => Promise<unknown>][] = [
        ['DescribeModel', () => sm.send(new DescribeModelCommand({ ModelName: name }))],
        ['DeleteModel', () => sm.send(new DeleteModelCommand({ ModelName: name }))],
        [
          'DescribeEndpointConfig',
          () => sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name })),
        ],
        [
          'DeleteEndpointConfig',
          () => sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })),
        ],
        ['DescribeEndpoint', () => sm.send(new DescribeEndpointCommand({ EndpointName: name }))],
        ['DeleteEndpoint', () => sm.send(new DeleteEndpointCommand({ EndpointName: name }))],
        [
          'UpdateEndpoint',
          () => sm.send(new UpdateEndpointCommand({ EndpointName: name, EndpointConfigName: 'c' })),
        ],
        [
          'UpdateEndpoint (config)',
          () => sm.send(new UpdateEndpointCommand({ EndpointName: 'e', EndpointConfigName: name })),
        ],
        [
          'CreateModel',
          () =>
            sm.send(
              new CreateModelCommand({
                ModelName: name,
                ExecutionRoleArn: ROLE,
                PrimaryContainer: { Image: 'i' },
              }),
            ),
        ],
        [
          'CreateEndpointConfig',
          () =>
            sm.send(
              new CreateEndpointConfigCommand({
                EndpointConfigName: name,
                ProductionVariants: [{ VariantName: 'v', ModelName: 'm' }],
              }),
            ),
        ],
        [
          'CreateEndpointConfig (model)',
          () =>
            sm.send(
              new CreateEndpointConfigCommand({
                EndpointConfigName: 'c',
                ProductionVariants: [{ VariantName: 'v', ModelName: name }],
              }),
            ),
        ],
        [
          'CreateEndpoint',
          () => sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: 'c' })),
        ],
        [
          'CreateEndpoint (config)',
          () => sm.send(new CreateEndpointCommand({ EndpointName: 'e', EndpointConfigName: name })),
        ],
        ['DescribeTrainingJob', () => sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }))],
        ['StopTrainingJob', () => sm.send(new StopTrainingJobCommand({ TrainingJobName: name }))],
        [
          'CreateTrainingJob',
          () =>
            sm.send(
              new CreateTrainingJobCommand({
                TrainingJobName: name,
                RoleArn: ROLE,
                AlgorithmSpecification: { TrainingImage: 'i', TrainingInputMode: 'File' },
                OutputDataConfig: { S3OutputPath: 's3://b/o' },
                ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
                StoppingCondition: { MaxRuntimeInSeconds: 60 },
              }),
            ),
        ],
      ];
      for (const [operation, send] of calls) {
        await assertRefused(`${operation} ${JSON.stringify(name)}`, send, /^ValidationException$/);
      }
    }
  });

  it('a training channel cannot name the data folder or its parent', async () => {
    for (const channel of ['..', '.', '../x', 'a/b']) {
      await assertRefused(
        `channel ${channel}`,
        () =>
          rig.sagemaker.send(
            new CreateTrainingJobCommand({
              TrainingJobName: 'job-with-bad-channel',
              RoleArn: ROLE,
              AlgorithmSpecification: { TrainingImage: 'i', TrainingInputMode: 'File' },
              InputDataConfig: [
                {
                  ChannelName: channel,
                  DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/x' } },
                },
              ],
              OutputDataConfig: { S3OutputPath: 's3://b/o' },
              ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
              StoppingCondition: { MaxRuntimeInSeconds: 60 },
            }),
          ),
        /^ValidationException$/,
      );
    }
  });

  it('the runtime, CloudWatch Logs and ECR refuse them too', async () => {
    for (const name of HOSTILE.filter((n) => n !== '' && !n.includes('\u0000'))) {
      await assertRefused(
        `InvokeEndpoint ${name}`,
        () => rig.runtime.send(new InvokeEndpointCommand({ EndpointName: name, Body: '1,2' })),
        /^(ValidationError|ValidationException)$/,
      );
      await assertRefused(
        `GetLogEvents ${name}`,
        () =>
          rig.logs.send(
            new GetLogEventsCommand({
              logGroupName: '/aws/sagemaker/TrainingJobs',
              logStreamName: `${name}/algo-1-1`,
            }),
          ),
        /^(ResourceNotFoundException|InvalidParameterException)$/,
      );
      // 64 characters make a valid repository name: ECR allows 256.
      if (name === 'x'.repeat(64)) continue;
      await assertRefused(
        `DescribeRepositories ${name}`,
        () => ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })),
        /^(InvalidParameterException|ServerException)$/,
      );
      await assertRefused(
        `CreateRepository ${name}`,
        () => ecr.send(new CreateRepositoryCommand({ repositoryName: name })),
        /^(InvalidParameterException|ServerException)$/,
      );
      await assertRefused(
        `DescribeImages ${name}`,
        () => ecr.send(new DescribeImagesCommand({ repositoryName: 'repo', imageIds: [{ imageTag: name }] })),
        /^(InvalidParameterException|ServerException|RepositoryNotFoundException)$/,
      );
    }
    const streams = await rig.logs.send(
      new DescribeLogStreamsCommand({
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamNamePrefix: '../',
      }),
    );
    assert.deepEqual(streams.logStreams, []);
  });

  it('left every file outside the store as it was', async () => {
    assert.deepEqual(JSON.parse(await readFile(rig.project.path('victim.json'), 'utf8')), VICTIM);
    assert.deepEqual(
      JSON.parse(await readFile(rig.project.path('.pipeline', 'victim.json'), 'utf8')),
      VICTIM,
    );
    assert.deepEqual(await filesOutside(rig.project.dir, store), before_);
  });

  describe('S3 keys holding ..', () => {
    const keys = [
      'data/../../../../escaped.txt',
      '../../../../../escaped-too.txt',
      'a/./b/../c.txt',
      '~tilde/~~x.txt',
      '..',
      'plain/key.txt',
    ];
    const body = (key: string) => `body of ${key}`;

    it('round-trip under their own names, listed in order, and stay inside the store', async () => {
      const s3: S3Client = rig.s3;
      await putObjects(s3, 'hostile', Object.fromEntries(keys.map((key) => [key, body(key)])));
      for (const key of keys) {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'hostile', Key: key }));
        assert.equal(await got.Body?.transformToString(), body(key), key);
      }
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'hostile' }));
      const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.deepEqual(
        listed.Contents?.map((object) => object.Key),
        sorted,
      );
      const underA = await s3.send(new ListObjectsV2Command({ Bucket: 'hostile', Prefix: 'a/' }));
      assert.deepEqual(
        underA.Contents?.map((object) => object.Key),
        ['a/./b/../c.txt'],
      );
      const paged = await s3.send(new ListObjectsV2Command({ Bucket: 'hostile', MaxKeys: 2 }));
      assert.deepEqual(
        paged.Contents?.map((object) => object.Key),
        sorted.slice(0, 2),
      );
      assert.deepEqual(await filesOutside(rig.project.dir, store), before_);
      for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: 'hostile', Key: key }));
      const empty = await s3.send(new ListObjectsV2Command({ Bucket: 'hostile' }));
      assert.equal(empty.KeyCount, 0);
      assert.deepEqual(await filesOutside(rig.project.dir, store), before_);
    });

    it('a bucket name that is a path is not a bucket', async () => {
      // Sent raw: an SDK normalises "/../" out of the URL before it leaves.
      const { port } = new URL(rig.server.s3Endpoint);
      for (const path of [
        '/../x.txt',
        '/%2E%2E/x.txt',
        '/%2E%2E%2F%2E%2E/x.txt',
        '/..%2F..%2Fescaped/x.txt',
        '/%2E/x.txt',
      ]) {
        const status = await rawPut(Number(port), path);
        assert.ok(status >= 400 && status < 500, `${path}: ${status}`);
      }
      assert.deepEqual(await filesOutside(rig.project.dir, store), before_);
    });
  });
});
