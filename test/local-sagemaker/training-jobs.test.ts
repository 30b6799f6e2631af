// The local SageMaker's training jobs, driven by the real AWS SDK v3 clients: jobs that
// complete, fail, run out of time or are stopped, and SageMaker's validation errors.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  DeleteEndpointCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsCommand,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { list as listTar } from 'tar';
import { labelledCsv as csv, prepareExampleModel } from '../rig/example-model.js';
import {
  callChecked,
  type LocalRig,
  putObjects,
  ROLE,
  startLocalRig,
  trainingJobRequest,
  waitForEndpoint,
  waitForJob,
} from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';

/** A job on the example's data; `image` a program folder of the test's own, by path. */
const jobRequest = (
  name: string,
  hyperparameters: Record<string, string>,
  { maxRuntimeSeconds = 600, image }: { maxRuntimeSeconds?: number; image?: string } = {},
) =>
  trainingJobRequest({
    name,
    data: 's3://jobs-bucket/data/training/',
    hyperparameters,
    maxRuntimeSeconds,
    ...(image ? { image: pathToFileURL(image).href } : {}),
  });

describe('local SageMaker training jobs, through the AWS SDK', () => {
  let rig: LocalRig;
  before(async () => {
    await prepareExampleModel();
    rig = await startLocalRig({ stopGraceSeconds: 10 });
    await putObjects(rig.s3, 'jobs-bucket', {
      'data/training/part-1.csv': csv(600, 1),
      'data/training/more/part-2.csv': csv(200, 2),
    });
  });
  after(async () => {
    await rig.close();
  });

  it('runs a job to Completed: status transitions, final metrics, model.tar.gz in S3, the log', async () => {
    await rig.sagemaker.send(
      new CreateTrainingJobCommand(jobRequest('job-ok', { epochs: '2', learning_rate: '0.5' })),
    );
    const job = await waitForJob(rig.sagemaker, 'job-ok');
    assert.equal(job.TrainingJobStatus, 'Completed', job.FailureReason);
    assert.deepEqual(
      job.SecondaryStatusTransitions?.map((t) => t.Status),
      ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed'],
    );
    assert.ok(job.CreationTime instanceof Date);
    assert.equal(job.ModelArtifacts?.S3ModelArtifacts, 's3://jobs-bucket/output/job-ok/output/model.tar.gz');
    assert.deepEqual(job.FinalMetricDataList?.map((m) => m.MetricName).sort(), ['accuracy', 'loss']);
    assert.ok((job.BillableTimeInSeconds ?? 0) >= 1);

    const archive = await rig.s3.send(
      new GetObjectCommand({ Bucket: 'jobs-bucket', Key: 'output/job-ok/output/model.tar.gz' }),
    );
    const entries: string[] = [];
    await new Promise<void>((resolve, reject) => {
      (archive.Body as Readable)
        .pipe(listTar({ onReadEntry: (entry) => entries.push(entry.path) }))
        .on('finish', resolve)
        .on('error', reject);
    });
    assert.deepEqual(entries.sort(), ['model.json', 'weights.bin'], 'entries at the archive root');

    const streams = await rig.logs.send(
      new DescribeLogStreamsCommand({
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamNamePrefix: 'job-ok/',
      }),
    );
    const stream = streams.logStreams?.[0]?.logStreamName;
    assert.match(stream ?? '', /^job-ok\/algo-1-\d+$/);
    const events = await rig.logs.send(
      new GetLogEventsCommand({
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamName: stream,
        startFromHead: true,
      }),
    );
    const lines = events.events?.map((e) => e.message) ?? [];
    assert.ok(lines.includes('training_rows=800 validation_rows=0 batch_size=25'), lines.join('\n'));
    const tail = await rig.logs.send(
      new GetLogEventsCommand({
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamName: stream,
        nextToken: events.nextForwardToken,
      }),
    );
    assert.deepEqual(tail.events, []);
    assert.equal(
      tail.nextForwardToken,
      events.nextForwardToken,
      'the same token at the end, as CloudWatch does',
    );
  });

  it('fails a job with the failure file as FailureReason', async () => {
    await rig.sagemaker.send(new CreateTrainingJobCommand(jobRequest('job-bad', { epochs: 'many' })));
    const job = await waitForJob(rig.sagemaker, 'job-bad');
    assert.equal(job.TrainingJobStatus, 'Failed');
    assert.match(
      job.FailureReason ?? '',
      /^AlgorithmError: invalid hyperparameters: epochs must be a whole number/,
    );
  });

  it('stops a job at MaxRuntimeInSeconds, keeping the model trained so far', async () => {
    await rig.sagemaker.send(
      new CreateTrainingJobCommand(jobRequest('job-slow', { epochs: '100000' }, { maxRuntimeSeconds: 3 })),
    );
    const job = await waitForJob(rig.sagemaker, 'job-slow');
    assert.equal(job.TrainingJobStatus, 'Stopped');
    assert.equal(job.SecondaryStatus, 'MaxRuntimeExceeded');
    assert.ok(job.ModelArtifacts?.S3ModelArtifacts);
  });

  it('stops a job on StopTrainingJob', async () => {
    await rig.sagemaker.send(new CreateTrainingJobCommand(jobRequest('job-stop', { epochs: '100000' })));
    await waitFor(async () => {
      const job = await rig.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job-stop' }));
      return job.SecondaryStatus === 'Training' ? true : undefined;
    }, 'job-stop to train');
    await rig.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'job-stop' }));
    const job = await waitForJob(rig.sagemaker, 'job-stop');
    assert.equal(job.TrainingJobStatus, 'Stopped');
    assert.deepEqual(job.SecondaryStatusTransitions?.map((t) => t.Status).slice(-3), [
      'Stopping',
      'Uploading',
      'Stopped',
    ]);
  });

  it('stops a job stopped before its program starts, as soon as it would have started', async () => {
    // Sent at once after the create: the job is still laying out its folders, and the stop must
    // reach the program it then starts (it trained to its end when the stop came before).
    await rig.sagemaker.send(
      new CreateTrainingJobCommand(jobRequest('job-stop-early', { epochs: '100000' })),
    );
    await rig.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'job-stop-early' }));
    const job = await waitForJob(rig.sagemaker, 'job-stop-early');
    assert.equal(job.TrainingJobStatus, 'Stopped');
  });

  it('refuses a job whose channel holds no objects, or whose bucket does not exist, when it is created', async () => {
    for (const data of ['s3://jobs-bucket/nothing-here/', 's3://no-such-bucket/data/']) {
      await assert.rejects(
        rig.sagemaker.send(
          new CreateTrainingJobCommand(
            trainingJobRequest({ name: 'job-no-data', data, hyperparameters: {} }),
          ),
        ),
        {
          name: 'ValidationException',
          message: new RegExp(`^No S3 objects found under S3 URL "${data}" given in input data source`),
        },
      );
    }
    await assert.rejects(
      rig.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job-no-data' })),
      {
        message: 'Requested resource not found.',
      },
    );
  });

  it('fails a job whose image cannot be had while it is Starting, as a ClientError', async () => {
    const request = jobRequest('job-no-image', {}, { image: rig.project.path('no-such-image') });
    await rig.sagemaker.send(new CreateTrainingJobCommand(request));
    const created = await rig.sagemaker.send(
      new DescribeTrainingJobCommand({ TrainingJobName: 'job-no-image' }),
    );
    assert.match(created.ModelArtifacts?.S3ModelArtifacts ?? '', /job-no-image\/output\/model\.tar\.gz$/);
    const job = await waitForJob(rig.sagemaker, 'job-no-image');
    assert.equal(job.TrainingJobStatus, 'Failed');
    assert.match(
      job.FailureReason ?? '',
      /^ClientError: the container in .* has no train program this machine can run/,
    );
    assert.deepEqual(
      job.SecondaryStatusTransitions?.map((t) => t.Status),
      ['Starting', 'Failed'],
    );
  });

  it("answers in every job state with the shapes of SageMaker's service model", async () => {
    const call = (service: 'sagemaker' | 'logs', operation: string, input: Record<string, unknown>) =>
      callChecked(rig.server.endpoint, service, operation, input);
    const states = new Set<string>();
    for (const name of ['job-ok', 'job-bad', 'job-stop', 'job-no-image']) {
      const job = await call('sagemaker', 'DescribeTrainingJob', { TrainingJobName: name });
      states.add(String(job.TrainingJobStatus));
    }
    assert.deepEqual([...states].sort(), ['Completed', 'Failed', 'Stopped']);
    const listed = await call('sagemaker', 'ListTrainingJobs', { MaxResults: 2, SortBy: 'Status' });
    await call('sagemaker', 'ListTrainingJobs', { SortBy: 'Status', NextToken: listed.NextToken });
    await call('logs', 'DescribeLogGroups', {});
    const streams = await call('logs', 'DescribeLogStreams', { logGroupName: '/aws/sagemaker/TrainingJobs' });
    const stream = (streams.logStreams as { logStreamName: string }[])[0]?.logStreamName;
    await call('logs', 'GetLogEvents', {
      logGroupName: '/aws/sagemaker/TrainingJobs',
      logStreamName: stream,
    });
    await call('logs', 'FilterLogEvents', {
      logGroupName: '/aws/sagemaker/TrainingJobs',
      filterPattern: 'epoch',
    });
  });

  it('answers as SageMaker does to bad requests, with typed exceptions', async () => {
    const reject = (input: CreateTrainingJobCommandInput) =>
      rig.sagemaker.send(new CreateTrainingJobCommand(input));
    for (const taken of ['job-ok', 'JOB-OK'])
      await assert.rejects(reject(jobRequest(taken, {})), {
        name: 'ResourceInUse',
        message: /already exists/,
      });
    await assert.rejects(reject(jobRequest('bad_name!', {})), {
      name: 'ValidationException',
      message: /failed to satisfy constraint/,
    });
    await assert.rejects(reject({ ...jobRequest('no-output', {}), OutputDataConfig: undefined }), {
      name: 'ValidationException',
      message: /'outputDataConfig' failed to satisfy constraint: Member must not be null/,
    });
    // The service model's limits, not a second copy of them: 100 environment variables are
    // SageMaker's most (a hand-written check here once refused more than 48).
    const environment = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`VAR_${index}`, 'x']));
    await assert.rejects(reject({ ...jobRequest('too-many-vars', {}), Environment: environment(101) }), {
      name: 'ValidationException',
      message:
        /'environment' failed to satisfy constraint: Member must have length less than or equal to 100/,
    });
    const hundred = await reject({
      ...jobRequest('job-env-100', { epochs: '1' }),
      Environment: environment(100),
    });
    assert.match(hundred.TrainingJobArn ?? '', /training-job\/job-env-100$/);
    await waitForJob(rig.sagemaker, 'job-env-100');
    await assert.rejects(
      rig.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'never-created' })),
      { name: 'ValidationException', message: 'Requested resource not found.' },
    );
    const list = await rig.sagemaker.send(new ListTrainingJobsCommand({ NameContains: 'job-' }));
    assert.deepEqual(list.TrainingJobSummaries?.map((j) => j.TrainingJobName).sort(), [
      'job-bad',
      'job-env-100',
      'job-no-image',
      'job-ok',
      'job-slow',
      'job-stop',
      'job-stop-early',
    ]);
  });

  it('refuses, naming it, every member it would otherwise accept and not act on', async () => {
    const refused = (input: CreateTrainingJobCommandInput, message: RegExp) =>
      assert.rejects(rig.sagemaker.send(new CreateTrainingJobCommand(input)), {
        name: 'ValidationException',
        message,
      });
    const base = jobRequest('job-refused', {});
    const channel = base.InputDataConfig?.[0] as NonNullable<
      CreateTrainingJobCommandInput['InputDataConfig']
    >[number];
    const s3 = channel.DataSource?.S3DataSource as NonNullable<
      NonNullable<typeof channel.DataSource>['S3DataSource']
    >;
    await refused(
      {
        ...base,
        CheckpointConfig: { S3Uri: 's3://jobs-bucket/checkpoints/', LocalPath: '/tmp/checkpoints' },
      },
      /^CheckpointConfig\.LocalPath \/tmp\/checkpoints \(it runs \/opt\/ml\/checkpoints\) is not supported by the local SageMaker; remove it, or use target aws$/,
    );
    // Several instances run with a docker image (distributed-training.docker.test.ts); a file://
    // image's programs are processes of this one machine.
    await refused(
      { ...base, ResourceConfig: { ...base.ResourceConfig, InstanceCount: 2 } as never },
      /^ResourceConfig\.InstanceCount 2 with the file:\/\/ image \S+ is not supported by the local SageMaker: its programs run as processes of this machine, which is one host/,
    );
    await refused(
      { ...base, InputDataConfig: [{ ...channel, InputMode: 'Pipe' }] },
      /InputDataConfig\[0\]\.InputMode Pipe \(it runs File\)/,
    );
    await refused(
      { ...base, InputDataConfig: [{ ...channel, CompressionType: 'Gzip' }] },
      /InputDataConfig\[0\]\.CompressionType Gzip \(it runs None\)/,
    );
    await refused(
      { ...base, InputDataConfig: [{ ...channel, RecordWrapperType: 'RecordIO' }] },
      /InputDataConfig\[0\]\.RecordWrapperType RecordIO \(it runs None\)/,
    );
    await refused(
      {
        ...base,
        InputDataConfig: [
          { ...channel, DataSource: { S3DataSource: { ...s3, S3DataType: 'AugmentedManifestFile' } } },
        ],
      },
      /InputDataConfig\[0\]\.DataSource\.S3DataSource\.S3DataType AugmentedManifestFile \(it runs S3Prefix or ManifestFile\)/,
    );
    await refused(
      { ...base, EnableNetworkIsolation: true },
      /^EnableNetworkIsolation true \(it runs false\) is not supported by the local SageMaker/,
    );
    // A program folder runs its own train program: an entrypoint needs a container image.
    await refused(
      {
        ...base,
        AlgorithmSpecification: {
          ...base.AlgorithmSpecification,
          ContainerEntrypoint: ['python', 'train.py'],
        } as never,
      },
      /ContainerEntrypoint and ContainerArguments need a container image/,
    );
    // What is honoured at its value passes: this job runs.
    const honoured = await rig.sagemaker.send(
      new CreateTrainingJobCommand({
        ...jobRequest('job-honoured', { epochs: '1' }),
        OutputDataConfig: { ...base.OutputDataConfig, CompressionType: 'GZIP' } as never,
        EnableInterContainerTrafficEncryption: false,
        EnableNetworkIsolation: false,
      }),
    );
    assert.match(honoured.TrainingJobArn ?? '', /job-honoured$/);
    await waitForJob(rig.sagemaker, 'job-honoured');
  });

  it('serves the jobs’ logs as CloudWatch Logs does: groups, streams in order, events by time and stream', async () => {
    const group = '/aws/sagemaker/TrainingJobs';
    const groups = async (input: { logGroupNamePrefix?: string; logGroupNamePattern?: string }) =>
      (await rig.logs.send(new DescribeLogGroupsCommand(input))).logGroups?.map((g) => g.logGroupName);
    assert.deepEqual(await groups({ logGroupNamePrefix: '/aws/sagemaker/Train' }), [group]);
    assert.deepEqual(await groups({ logGroupNamePattern: 'TrainingJobs' }), [group]);
    assert.deepEqual(await groups({ logGroupNamePrefix: '/aws/nothing' }), []);

    const streams = async (descending: boolean) =>
      (
        await rig.logs.send(
          new DescribeLogStreamsCommand({ logGroupIdentifier: group, orderBy: 'LastEventTime', descending }),
        )
      ).logStreams?.map((stream) => stream.logStreamName as string) ?? [];
    const newestFirst = await streams(true);
    assert.ok(newestFirst.length >= 2, newestFirst.join(', '));
    assert.deepEqual(await streams(false), [...newestFirst].reverse());

    const stream = newestFirst.find((name) => name.startsWith('job-ok/')) as string;
    const all = await rig.logs.send(
      new GetLogEventsCommand({ logGroupIdentifier: group, logStreamName: stream, startFromHead: true }),
    );
    const times = (all.events ?? []).map((event) => event.timestamp as number);
    assert.ok(times.length > 0);
    const none = await rig.logs.send(
      new GetLogEventsCommand({
        logGroupIdentifier: group,
        logStreamName: stream,
        startTime: Math.max(...times) + 1,
        endTime: Math.max(...times) + 2,
      }),
    );
    assert.deepEqual(none.events, []);

    const filtered = await rig.logs.send(
      new FilterLogEventsCommand({
        logGroupIdentifier: group,
        logStreamNames: [stream],
        startTime: Math.min(...times),
        endTime: Math.max(...times) + 1,
        filterPattern: 'training_rows',
        interleaved: true,
      }),
    );
    assert.deepEqual(
      filtered.events?.map((event) => [event.logStreamName, event.message]),
      [[stream, 'training_rows=800 validation_rows=0 batch_size=25']],
    );
    // The other forms `aws logs tail --filter-pattern` takes: any of, excluded, a regex.
    const matched = async (filterPattern: string) =>
      (
        await rig.logs.send(
          new FilterLogEventsCommand({ logGroupName: group, logStreamNames: [stream], filterPattern }),
        )
      ).events?.map((event) => event.message) ?? [];
    const all_ = (all.events ?? []).map((event) => event.message);
    assert.deepEqual(await matched('?training_rows ?no-such-term'), [
      'training_rows=800 validation_rows=0 batch_size=25',
    ]);
    assert.deepEqual(
      await matched('-training_rows'),
      all_.filter((line) => !line?.includes('training_rows')),
    );
    assert.deepEqual(await matched('%^training_rows=[0-9]+ %'), [
      'training_rows=800 validation_rows=0 batch_size=25',
    ]);
  });

  it('leaves a model uncompressed with CompressionType NONE, and serves it through ModelDataSource', async () => {
    const request = jobRequest('job-uncompressed', { epochs: '1' });
    await rig.sagemaker.send(
      new CreateTrainingJobCommand({
        ...request,
        OutputDataConfig: { ...request.OutputDataConfig, CompressionType: 'NONE' } as never,
      }),
    );
    const job = await waitForJob(rig.sagemaker, 'job-uncompressed');
    assert.equal(job.TrainingJobStatus, 'Completed', job.FailureReason);
    const artifacts = job.ModelArtifacts?.S3ModelArtifacts as string;
    assert.match(artifacts, /\/job-uncompressed\/output\/model\/$/);
    const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(artifacts) as string[];
    const files = await rig.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    assert.ok((files.KeyCount ?? 0) > 0, 'the model files, each an object');
    assert.ok(!(files.Contents ?? []).some((object) => object.Key?.endsWith('.tar.gz')));

    const image = request.AlgorithmSpecification?.TrainingImage as string;
    await assert.rejects(
      rig.sagemaker.send(
        new CreateModelCommand({
          ModelName: 'uncompressed-missing',
          ExecutionRoleArn: ROLE,
          PrimaryContainer: {
            Image: image,
            ModelDataSource: {
              S3DataSource: {
                S3Uri: `s3://${bucket}/nothing-here/`,
                S3DataType: 'S3Prefix',
                CompressionType: 'None',
              },
            },
          },
        }),
      ),
      { name: 'ValidationException', message: /Could not find model data at s3:\/\/.*\/nothing-here\// },
    );
    await rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'uncompressed',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: {
          Image: image,
          ModelDataSource: {
            S3DataSource: { S3Uri: artifacts, S3DataType: 'S3Prefix', CompressionType: 'None' },
          },
        },
      }),
    );
    await rig.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'uncompressed',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'uncompressed',
            InstanceType: 'ml.t2.medium',
            InitialInstanceCount: 1,
          },
        ],
      }),
    );
    await rig.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'uncompressed', EndpointConfigName: 'uncompressed' }),
    );
    try {
      const endpoint = await waitForEndpoint(rig.sagemaker, 'uncompressed');
      assert.equal(endpoint.EndpointStatus, 'InService', endpoint.FailureReason);
      const answer = await rig.runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'uncompressed',
          Body: '1,2\n6,6\n',
          ContentType: 'text/csv',
        }),
      );
      assert.equal(new TextDecoder().decode(answer.Body).trim().split('\n').length, 2);
    } finally {
      await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'uncompressed' }));
    }
  });

  it('keeps checkpoints as SageMaker does: there at the start, uploaded while the job runs and at its end', async () => {
    const image = rig.project.path('images', 'checkpointing');
    const release = rig.project.path('release-checkpointing');
    await mkdir(image, { recursive: true });
    // Reads the checkpoint a previous job left, writes one and waits to be released, writes another.
    await writeFile(
      join(image, 'train'),
      `#!/usr/bin/env node
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const dir = process.env.OPT_ML + '/checkpoints';
console.log('found: ' + readFileSync(dir + '/previous.txt', 'utf8'));
writeFileSync(dir + '/epoch-1.txt', 'one');
const wait = setInterval(() => {
  if (!existsSync(${JSON.stringify(release)})) return;
  clearInterval(wait);
  writeFileSync(dir + '/epoch-2.txt', 'two');
}, 50);
`,
      { mode: 0o755 },
    );
    await putObjects(rig.s3, 'jobs-bucket', { 'checkpoints/previous.txt': 'from an earlier job' });
    const request = jobRequest('job-checkpoints', {}, { image });
    await rig.sagemaker.send(
      new CreateTrainingJobCommand({
        ...request,
        CheckpointConfig: { S3Uri: 's3://jobs-bucket/checkpoints/', LocalPath: '/opt/ml/checkpoints' },
      }),
    );
    const stored = (key: string) =>
      rig.s3.send(new GetObjectCommand({ Bucket: 'jobs-bucket', Key: key })).then(
        async (object) => object.Body?.transformToString(),
        () => undefined,
      );
    // Uploaded while the job still runs (it waits for the release).
    assert.equal(
      await waitFor(() => stored('checkpoints/epoch-1.txt'), 'the first checkpoint in S3', 60),
      'one',
    );
    assert.equal(
      (await rig.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'job-checkpoints' })))
        .TrainingJobStatus,
      'InProgress',
    );
    await writeFile(release, '');
    const job = await waitForJob(rig.sagemaker, 'job-checkpoints');
    assert.equal(job.TrainingJobStatus, 'Completed', job.FailureReason);
    assert.equal(await stored('checkpoints/epoch-2.txt'), 'two', 'the last checkpoint, at the end');
    const logged = await rig.logs.send(
      new FilterLogEventsCommand({
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamNamePrefix: 'job-checkpoints/',
        filterPattern: '"found: from an earlier job"',
      }),
    );
    assert.equal(logged.events?.length, 1, 'the checkpoint there at the start');
  });

  it('trains on the objects a manifest file names (S3DataType ManifestFile), and fails on one it cannot find', async () => {
    const image = rig.project.path('images', 'listing');
    await mkdir(image, { recursive: true });
    // Lists its channel's files, relative to the channel's folder.
    await writeFile(
      join(image, 'train'),
      `#!/usr/bin/env node
const { readdirSync } = require('node:fs');
const dir = process.env.OPT_ML + '/input/data/training';
console.log('files: ' + readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => require('node:path').relative(dir, e.parentPath + '/' + e.name)).sort().join(','));
`,
      { mode: 0o755 },
    );
    await putObjects(rig.s3, 'jobs-bucket', {
      'manifested/a.csv': '1,2,0\n',
      'manifested/sub/b.csv': '3,4,1\n',
      'manifested/c.csv': '5,6,1\n',
      'manifests/two.json': JSON.stringify([
        { prefix: 's3://jobs-bucket/manifested/' },
        'a.csv',
        'sub/b.csv',
      ]),
      'manifests/missing.json': JSON.stringify([{ prefix: 's3://jobs-bucket/manifested/' }, 'gone.csv']),
    });
    const run = async (name: string, manifest: string) => {
      const request = jobRequest(name, {}, { image });
      const channel = request.InputDataConfig?.[0] as NonNullable<
        CreateTrainingJobCommandInput['InputDataConfig']
      >[number];
      await rig.sagemaker.send(
        new CreateTrainingJobCommand({
          ...request,
          InputDataConfig: [
            {
              ...channel,
              DataSource: {
                S3DataSource: {
                  S3Uri: `s3://jobs-bucket/manifests/${manifest}`,
                  S3DataType: 'ManifestFile',
                  S3DataDistributionType: 'FullyReplicated',
                },
              },
            },
          ],
        }),
      );
      return waitForJob(rig.sagemaker, name);
    };
    const job = await run('job-manifest', 'two.json');
    assert.equal(job.TrainingJobStatus, 'Completed', job.FailureReason);
    const logged = await rig.logs.send(
      new FilterLogEventsCommand({
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamNamePrefix: 'job-manifest/',
        filterPattern: 'files:',
      }),
    );
    assert.deepEqual(
      logged.events?.map((event) => event.message),
      ['files: a.csv,sub/b.csv'],
    );
    const missing = await run('job-manifest-missing', 'missing.json');
    assert.equal(missing.TrainingJobStatus, 'Failed');
    assert.match(
      String(missing.FailureReason),
      /^ClientError: the manifest file s3:\/\/jobs-bucket\/manifests\/missing\.json names s3:\/\/jobs-bucket\/manifested\/gone\.csv, which does not exist/,
    );
  });
});
