// Batch transform in the local SageMaker, through the AWS SDK, raw requests checked against AWS's
// model and the aws CLI's waiter: the example model's `serve` asked for every row of the objects
// under a prefix, in mini-batches (MultiRecord up to MaxPayloadInMB, or SingleRecord), the answers
// assembled by line into KEY.out; a container that refuses the content fails the job with its
// answer; what it does not run is refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  type CreateTransformJobCommandInput,
  DescribeTransformJobCommand,
  type DescribeTransformJobCommandOutput,
  StopTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { generateSamples } from '../../src/example/generate-example-data.js';
import { AWS_CLI_ENV, awsCliAvailable } from '../rig/aws-cli.js';
import { labelledCsv, prepareExampleModel } from '../rig/example-model.js';
import {
  callChecked,
  createModelWithConfig,
  type LocalRig,
  PROCESS_IMAGE,
  putObjects,
  startLocalRig,
  trainingJobRequest,
  waitForJob,
} from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';

/** Rows of the example's two features, one per line. */
const rows = (count: number, seed: number): string[] =>
  generateSamples(count, seed).map((sample) => sample.features.join(','));

const FINAL = new Set(['Completed', 'Failed', 'Stopped']);

/** The request's input, as every job here reads it: the rows under s3://transform-data/in/. */
const INPUT = {
  DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: 's3://transform-data/in/' } },
  ContentType: 'text/csv',
  CompressionType: 'None' as const,
  SplitType: 'Line' as const,
};

describe('local SageMaker batch transform', () => {
  let rig: LocalRig;
  before(async () => {
    await prepareExampleModel();
    rig = await startLocalRig();
    await putObjects(rig.s3, 'transform-data', { 'train/a.csv': labelledCsv(400) });
    await rig.sagemaker.send(
      new CreateTrainingJobCommand(
        trainingJobRequest({
          name: 'bt-train',
          data: 's3://transform-data/train/',
          hyperparameters: { epochs: '2' },
        }),
      ),
    );
    const trained = await waitForJob(rig.sagemaker, 'bt-train');
    await createModelWithConfig(
      rig.sagemaker,
      { model: 'bt-model', config: 'bt-config' },
      PROCESS_IMAGE,
      trained.ModelArtifacts?.S3ModelArtifacts ?? '',
    );
    // Two objects under the prefix; the second one is larger than 1 MB, so that MultiRecord with
    // MaxPayloadInMB 1 sends it in several mini-batches.
    await putObjects(rig.s3, 'transform-data', {
      'in/part-1.csv': `${rows(15, 7).join('\n')}\n`,
      'in/part-2.csv': `${rows(60_000, 8).join('\n')}\n`,
    });
  });
  after(() => rig.close());

  const request = (
    name: string,
    changes: Partial<CreateTransformJobCommandInput> = {},
  ): CreateTransformJobCommandInput => ({
    TransformJobName: name,
    ModelName: 'bt-model',
    BatchStrategy: 'MultiRecord',
    MaxPayloadInMB: 1,
    MaxConcurrentTransforms: 2,
    Environment: { SERVING_ENGINE: 'kernel' },
    TransformInput: INPUT,
    TransformOutput: {
      S3OutputPath: `s3://transform-data/out/${name}`,
      Accept: 'text/csv',
      AssembleWith: 'Line',
    },
    TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    Tags: [{ Key: 'stage', Value: 'invoke' }],
    ...changes,
  });
  const finished = (name: string): Promise<DescribeTransformJobCommandOutput> =>
    waitFor(
      async () => {
        const job = await rig.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name }));
        return FINAL.has(job.TransformJobStatus ?? '') ? job : undefined;
      },
      `transform job ${name} to end`,
      120,
    );
  const output = async (key: string): Promise<string[]> => {
    const got = await rig.s3
      .send(new GetObjectCommand({ Bucket: 'transform-data', Key: key }))
      .catch(async (error: Error) => {
        const listed = await rig.s3.send(
          new ListObjectsV2Command({ Bucket: 'transform-data', Prefix: 'out/' }),
        );
        throw new Error(
          `${key}: ${error.message}; there are ${(listed.Contents ?? []).map((o) => o.Key).join(', ')}`,
        );
      });
    return (await got.Body?.transformToString())?.trimEnd().split('\n') ?? [];
  };
  const logOf = async (name: string, created: Date): Promise<string[]> => {
    const events = await rig.logs.send(
      new GetLogEventsCommand({
        logGroupName: '/aws/sagemaker/TransformJobs',
        logStreamName: `${name}/algo-1-${Math.floor(created.getTime() / 1000)}`,
        startFromHead: true,
      }),
    );
    return (events.events ?? []).map((event) => event.message ?? '');
  };

  it('transforms every row, in mini-batches under the payload limit, into KEY.out, in the rows’ order', async (t) => {
    await rig.sagemaker.send(new CreateTransformJobCommand(request('bt-multi')));
    if (await awsCliAvailable(t)) {
      const waited = await execa(
        'aws',
        [
          '--endpoint-url',
          rig.server.endpoint,
          'sagemaker',
          'wait',
          'transform-job-completed-or-stopped',
          '--transform-job-name',
          'bt-multi',
        ],
        { env: AWS_CLI_ENV, reject: false },
      );
      assert.equal(waited.exitCode, 0, String(waited.stderr));
    }
    const job = await finished('bt-multi');
    assert.equal(
      job.TransformJobStatus,
      'Completed',
      `${job.FailureReason}\n${(await logOf('bt-multi', job.CreationTime as Date)).join('\n')}`,
    );
    assert.ok(job.TransformStartTime instanceof Date && job.TransformEndTime instanceof Date);
    const small = await output('out/bt-multi/part-1.csv.out');
    const large = await output('out/bt-multi/part-2.csv.out');
    assert.equal(small.length, 15);
    assert.equal(large.length, 60_000);
    assert.match(small[0] ?? '', /^[0-9.e-]+,[0-9.e-]+$/, 'a row of class probabilities');
    const log = await logOf('bt-multi', job.CreationTime as Date);
    assert.ok(
      log.some((line) => /part-1\.csv: 1 mini-batch\(es\)/.test(line)),
      log.join('\n'),
    );
    const split = log.find((line) => /part-2\.csv: \d+ mini-batch/.test(line)) ?? '';
    assert.ok(
      Number(/: (\d+) mini-batch/.exec(split)?.[1]) >= 2,
      `the 1 MB limit splits the large object: ${split}`,
    );

    // One record per request gives the same answers, row for row.
    await rig.sagemaker.send(
      new CreateTransformJobCommand(
        request('bt-single', { BatchStrategy: 'SingleRecord', MaxConcurrentTransforms: 4 }),
      ),
    );
    await rig.sagemaker.send(
      new CreateTransformJobCommand(
        request('bt-small-only', {
          TransformInput: {
            ...request('x').TransformInput,
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://transform-data/in/part-1' } },
          },
          BatchStrategy: 'SingleRecord',
        }),
      ),
    );
    const single = await finished('bt-small-only');
    assert.equal(single.TransformJobStatus, 'Completed', single.FailureReason);
    assert.deepEqual(await output('out/bt-small-only/part-1.csv.out'), small);
    const described = await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeTransformJob', {
      TransformJobName: 'bt-multi',
    });
    assert.equal(described.TransformJobStatus, 'Completed');
    const listed = await callChecked(rig.server.endpoint, 'sagemaker', 'ListTransformJobs', {
      StatusEquals: 'Completed',
    });
    assert.ok(
      (listed.TransformJobSummaries as { TransformJobName: string }[]).some(
        (s) => s.TransformJobName === 'bt-multi',
      ),
    );
    // Stopping a job that has ended changes nothing.
    await rig.sagemaker.send(new StopTransformJobCommand({ TransformJobName: 'bt-small-only' }));
    assert.equal((await finished('bt-small-only')).TransformJobStatus, 'Completed');
    assert.equal((await finished('bt-single')).TransformJobStatus, 'Completed');
  });

  it('fails a job with the container’s answer when it refuses a mini-batch', async () => {
    await rig.sagemaker.send(
      new CreateTransformJobCommand(
        request('bt-refused', {
          TransformInput: { ...INPUT, ContentType: 'application/x-unknown' },
        }),
      ),
    );
    const job = await finished('bt-refused');
    assert.equal(job.TransformJobStatus, 'Failed');
    assert.match(
      job.FailureReason ?? '',
      /^AlgorithmError: the model answered 415 to a mini-batch of \d+ records from s3:\/\/transform-data\/in\/part-1\.csv/,
    );
    await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeTransformJob', {
      TransformJobName: 'bt-refused',
    });
  });

  it('DataProcessing: an id column filtered out before the model, joined back, and the output filtered', async () => {
    const plain = await output('out/bt-multi/part-1.csv.out');
    await putObjects(rig.s3, 'transform-data', {
      'with-id/rows.csv': `${rows(15, 7)
        .map((row, index) => `id-${index},${row}`)
        .join('\n')}\n`,
    });
    await rig.sagemaker.send(
      new CreateTransformJobCommand(
        request('bt-joined', {
          TransformInput: {
            ...INPUT,
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://transform-data/with-id/' } },
          },
          DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-2:]' },
        }),
      ),
    );
    const job = await finished('bt-joined');
    assert.equal(job.TransformJobStatus, 'Completed', job.FailureReason);
    // The model saw the features only (the same answers as without the id), each kept with its id.
    assert.deepEqual(
      await output('out/bt-joined/rows.csv.out'),
      plain.map((answer, index) => `id-${index},${answer}`),
    );
    assert.deepEqual(job.DataProcessing, {
      InputFilter: '$[1:]',
      JoinSource: 'Input',
      OutputFilter: '$[0,-2:]',
    });

    await assert.rejects(
      rig.sagemaker.send(
        new CreateTransformJobCommand(
          request('bt-bad-filter', { DataProcessing: { InputFilter: '$..features' } }),
        ),
      ),
      /DataProcessing\.InputFilter "\$\.\.features" is not a JSONPath SageMaker supports/,
    );
    await assert.rejects(
      rig.sagemaker.send(
        new CreateTransformJobCommand(
          request('bt-join-json', {
            DataProcessing: { JoinSource: 'Input' },
            TransformOutput: {
              S3OutputPath: 's3://transform-data/out/x',
              Accept: 'application/json',
              AssembleWith: 'Line',
            },
          }),
        ),
      ),
      /JoinSource Input with an Accept of another format than the input is not supported by the local SageMaker/,
    );
  });

  it('refuses what it does not run, and a model that does not exist', async () => {
    await assert.rejects(
      rig.sagemaker.send(
        new CreateTransformJobCommand(
          request('bt-two', { TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 2 } }),
        ),
      ),
      /TransformResources\.InstanceCount 2 \(it runs 1\) is not supported by the local SageMaker/,
    );
    await assert.rejects(
      rig.sagemaker.send(new CreateTransformJobCommand(request('bt-stream', { MaxPayloadInMB: 0 }))),
      /MaxPayloadInMB 0 \(a payload streamed in chunks\) is not supported by the local SageMaker/,
    );
    await assert.rejects(
      rig.sagemaker.send(
        new CreateTransformJobCommand(request('bt-nomodel', { ModelName: 'no-such-model' })),
      ),
      /no-such-model/,
    );
    await assert.rejects(
      rig.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'never-made' })),
      /Could not find transform job 'arn:aws:sagemaker:us-east-1:000000000000:transform-job\/never-made'\./,
    );
  });
});
