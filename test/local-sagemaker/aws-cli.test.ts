// The local SageMaker as `pipeline local serve` runs it, driven by another AWS client: the real
// `aws` CLI (Debian's awscli) with --endpoint-url. This checks the wire protocol independently
// of the JavaScript SDK.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { AWS_CLI_ENV, awsCliAvailable } from '../rig/aws-cli.js';
import { containerDir, labelledCsv, prepareExampleModel } from '../rig/example-model.js';
import {
  PROCESS_IMAGE,
  ROLE,
  trainingJobRequest,
  waitForEndpoint,
  waitForJob,
} from '../rig/local-sagemaker.js';
import { type ServedLocalSageMaker, startLocalServe } from '../rig/local-serve.js';
import { TestProject } from '../rig/project.js';
import { TEST_KEY } from '../rig/test-key.js';

describe('the local SageMaker through the aws CLI', () => {
  let project: TestProject;
  let server: ServedLocalSageMaker | undefined;
  let endpoints: { endpoint: string; s3Endpoint: string };
  const aws = (args: string[], endpoint = endpoints.endpoint) =>
    execa('aws', ['--endpoint-url', endpoint, '--output', 'json', ...args], {
      env: AWS_CLI_ENV,
      reject: false,
      cwd: project.dir,
    });
  let client: SageMakerClient | undefined;
  const sagemaker = () => {
    client ??= new SageMakerClient({
      endpoint: endpoints.endpoint,
      region: 'us-east-1',
      credentials: TEST_KEY,
    });
    return client;
  };
  const awsJson = async (args: string[]) => {
    const result = await aws(args);
    assert.equal(result.exitCode, 0, String(result.stderr));
    return JSON.parse(String(result.stdout) || '{}');
  };

  before(async () => {
    await prepareExampleModel();
    project = await TestProject.create();
    // The server takes the key pair of its environment, as a team's CI service does.
    server = await startLocalServe(project.dir, ['--file-images', containerDir]);
    endpoints = server;
  });
  after(async () => {
    client?.destroy();
    await server?.stop();
    await project?.remove();
  });

  it('trains a job from data copied with `aws s3`, with its log and metrics', async (t) => {
    if (!(await awsCliAvailable(t))) return;
    const rows = labelledCsv(300);
    await project.write({ 'train.csv': rows });
    assert.equal((await aws(['s3', 'mb', 's3://cli-bucket'], endpoints.s3Endpoint)).exitCode, 0);
    const copy = await aws(['s3', 'cp', 'train.csv', 's3://cli-bucket/data/train.csv'], endpoints.s3Endpoint);
    assert.equal(copy.exitCode, 0, String(copy.stderr));

    const job = trainingJobRequest({
      name: 'cli-job',
      data: 's3://cli-bucket/data/',
      hyperparameters: { epochs: '2' },
    });
    const created = await awsJson([
      'sagemaker',
      'create-training-job',
      '--cli-input-json',
      JSON.stringify(job),
    ]);
    assert.match(created.TrainingJobArn, /^arn:aws:sagemaker:us-east-1:\d{12}:training-job\/cli-job$/);
    // Waited for through the SDK (each aws CLI call is a second of python); then described by the CLI.
    await waitForJob(sagemaker(), 'cli-job');
    const done = await awsJson(['sagemaker', 'describe-training-job', '--training-job-name', 'cli-job']);
    assert.equal(done.TrainingJobStatus, 'Completed', done.FailureReason);
    assert.ok(done.FinalMetricDataList.some((m: { MetricName: string }) => m.MetricName === 'loss'));
    const streams = await awsJson([
      'logs',
      'describe-log-streams',
      '--log-group-name',
      '/aws/sagemaker/TrainingJobs',
      '--log-stream-name-prefix',
      'cli-job/',
    ]);
    const logEvents = (...extra: string[]) =>
      awsJson([
        'logs',
        'get-log-events',
        '--log-group-name',
        '/aws/sagemaker/TrainingJobs',
        '--log-stream-name',
        streams.logStreams[0].logStreamName,
        ...extra,
      ]);
    const events = await logEvents('--start-from-head');
    assert.ok(events.events.some((e: { message: string }) => e.message.startsWith('epoch=2 ')));
    // Backward tokens read the page before: from the tail, one event at a time, back to the head.
    const tail = await logEvents('--limit', '1');
    const before = await logEvents('--limit', '1', '--next-token', tail.nextBackwardToken);
    assert.deepEqual(
      [...before.events, ...tail.events].map((e: { message: string }) => e.message),
      events.events.slice(-2).map((e: { message: string }) => e.message),
    );
    // What `aws logs tail` reads: FilterLogEvents, with a filter pattern.
    const filtered = await awsJson([
      'logs',
      'filter-log-events',
      '--log-group-name',
      '/aws/sagemaker/TrainingJobs',
      '--log-stream-name-prefix',
      'cli-job/',
      '--filter-pattern',
      'epoch=2',
    ]);
    assert.ok(filtered.events.length >= 1);
    assert.ok(filtered.events.every((e: { message: string }) => e.message.includes('epoch=2')));
    assert.match(streams.logStreams[0].arn, /^arn:aws:logs:us-east-1:000000000000:log-group:/);

    const duplicate = await aws([
      'sagemaker',
      'create-training-job',
      '--cli-input-json',
      JSON.stringify(job),
    ]);
    assert.notEqual(duplicate.exitCode, 0);
    assert.match(
      String(duplicate.stderr),
      /An error occurred \(ResourceInUse\) when calling the CreateTrainingJob operation/,
    );
    const missing = await aws(['sagemaker', 'describe-training-job', '--training-job-name', 'nope']);
    assert.match(String(missing.stderr), /\(ValidationException\).*Requested resource not found\./);
  });

  it('hosts the model and answers invoke-endpoint', async (t) => {
    if (!(await awsCliAvailable(t))) return;
    const { ModelArtifacts } = await awsJson([
      'sagemaker',
      'describe-training-job',
      '--training-job-name',
      'cli-job',
    ]);
    await awsJson([
      'sagemaker',
      'create-model',
      '--model-name',
      'cli-model',
      '--execution-role-arn',
      ROLE,
      '--primary-container',
      JSON.stringify({ Image: PROCESS_IMAGE, ModelDataUrl: ModelArtifacts.S3ModelArtifacts }),
    ]);
    await awsJson([
      'sagemaker',
      'create-endpoint-config',
      '--endpoint-config-name',
      'cli-config',
      '--production-variants',
      JSON.stringify([
        {
          VariantName: 'AllTraffic',
          ModelName: 'cli-model',
          InstanceType: 'ml.t2.medium',
          InitialInstanceCount: 1,
        },
      ]),
    ]);
    await awsJson([
      'sagemaker',
      'create-endpoint',
      '--endpoint-name',
      'cli-ep',
      '--endpoint-config-name',
      'cli-config',
    ]);
    // The CLI's waiter polls every 30 s: asked once the endpoint is in service, it answers at its
    // first poll, and still reads DescribeEndpoint as its acceptors do.
    await waitForEndpoint(sagemaker(), 'cli-ep');
    const waited = await aws(['sagemaker', 'wait', 'endpoint-in-service', '--endpoint-name', 'cli-ep']);
    assert.equal(waited.exitCode, 0, String(waited.stderr));
    try {
      await project.write({ 'rows.csv': '1,2\n6,6\n3,3\n' });
      const invoked = await awsJson([
        'sagemaker-runtime',
        'invoke-endpoint',
        '--endpoint-name',
        'cli-ep',
        '--content-type',
        'text/csv',
        '--body',
        'fileb://rows.csv',
        'answer.csv',
      ]);
      assert.equal(invoked.ContentType, 'text/csv');
      assert.equal((await readFile(project.path('answer.csv'), 'utf8')).trim().split('\n').length, 3);
      const groups = await awsJson([
        'logs',
        'describe-log-groups',
        '--log-group-name-prefix',
        '/aws/sagemaker/',
      ]);
      assert.deepEqual(
        groups.logGroups.map((g: { logGroupName: string }) => g.logGroupName),
        ['/aws/sagemaker/Endpoints/cli-ep', '/aws/sagemaker/TrainingJobs'],
      );
      const served = await awsJson([
        'logs',
        'filter-log-events',
        '--log-group-name',
        '/aws/sagemaker/Endpoints/cli-ep',
      ]);
      assert.ok(served.events.length > 0, "the model server's output is in the endpoint's log group");
      assert.match(served.events[0].logStreamName, /^AllTraffic\/i-[0-9a-f]{17}$/);
    } finally {
      await awsJson(['sagemaker', 'delete-endpoint', '--endpoint-name', 'cli-ep']);
    }
  });
});
