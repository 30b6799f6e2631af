// Processing jobs of the local SageMaker, as SageMaker Processing runs them: inputs down from S3
// to their LocalPath, the program run, outputs up to S3 at the end, /opt/ml/output/message as
// ExitMessage, the exit code deciding Completed or Failed, StopProcessingJob, the job's log in
// /aws/sagemaker/ProcessingJobs, and every answer in the shape of AWS's model. The aws CLI's
// waiter (`aws sagemaker wait processing-job-completed-or-stopped`) waits on it.
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateProcessingJobCommand,
  type CreateProcessingJobCommandInput,
  DescribeProcessingJobCommand,
  type DescribeProcessingJobCommandOutput,
  ListProcessingJobsCommand,
  StopProcessingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { AWS_CLI_ENV, awsCliAvailable } from '../rig/aws-cli.js';
import { callChecked, type LocalRig, putObjects, ROLE, startLocalRig } from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';

// Splits the rows of its input into train and test outputs; says how many in its exit message.
// FAIL_WITH makes it fail, SLEEP makes it wait to be stopped.
const PROCESS = `#!/usr/bin/env node
const fs = require('node:fs');
const ml = process.env.OPT_ML;
const config = JSON.parse(fs.readFileSync(ml + '/config/processingjobconfig.json', 'utf8'));
console.log('processing ' + config.ProcessingJobName + ' with ' + process.argv.slice(2).join(' '));
if (process.env.SLEEP) setTimeout(() => {}, 600000);
else {
  const dir = ml + '/processing/input/raw';
  const rows = fs.readdirSync(dir).sort().flatMap((f) => fs.readFileSync(dir + '/' + f, 'utf8').split('\\n').filter(Boolean));
  fs.writeFileSync(ml + '/processing/output/train/train.csv', rows.slice(0, -1).join('\\n') + '\\n');
  fs.writeFileSync(ml + '/processing/output/test/test.csv', rows.slice(-1).join('\\n') + '\\n');
  fs.writeFileSync(ml + '/output/message', process.env.FAIL_WITH || ('split ' + rows.length + ' rows'));
  process.exit(process.env.FAIL_WITH ? 2 : 0);
}
`;

const FINAL = new Set(['Completed', 'Failed', 'Stopped']);

describe('local SageMaker processing jobs', () => {
  let rig: LocalRig;
  let image: string;
  const request = (
    name: string,
    environment: Record<string, string> = {},
  ): CreateProcessingJobCommandInput => ({
    ProcessingJobName: name,
    RoleArn: ROLE,
    AppSpecification: { ImageUri: image, ContainerArguments: ['--test-fraction', '0.2'] },
    Environment: environment,
    ProcessingResources: {
      ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
    },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    Tags: [{ Key: 'stage', Value: 'prepare' }],
    ProcessingInputs: [
      {
        InputName: 'raw',
        AppManaged: false,
        S3Input: {
          S3Uri: 's3://processing/raw/',
          LocalPath: '/opt/ml/processing/input/raw',
          S3DataType: 'S3Prefix',
          S3InputMode: 'File',
          S3DataDistributionType: 'FullyReplicated',
          S3CompressionType: 'None',
        },
      },
    ],
    ProcessingOutputConfig: {
      Outputs: ['train', 'test'].map((output) => ({
        OutputName: output,
        AppManaged: false,
        S3Output: {
          S3Uri: `s3://processing/prepared/${name}/${output}`,
          LocalPath: `/opt/ml/processing/output/${output}`,
          S3UploadMode: 'EndOfJob',
        },
      })),
    },
  });
  const finished = (name: string): Promise<DescribeProcessingJobCommandOutput> =>
    waitFor(
      async () => {
        const job = await rig.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
        return FINAL.has(job.ProcessingJobStatus ?? '') ? job : undefined;
      },
      `processing job ${name} to end`,
      60,
    );
  /** A job's log stream, read over the wire as CloudWatch Logs serves it. */
  const jobLog = async (name: string): Promise<{ stream: string; messages: string[] }> => {
    const stream = await waitFor(async () => {
      const streams = await callChecked(rig.server.endpoint, 'logs', 'DescribeLogStreams', {
        logGroupName: '/aws/sagemaker/ProcessingJobs',
        logStreamNamePrefix: `${name}/`,
      });
      return (streams.logStreams as { logStreamName: string }[])[0]?.logStreamName;
    }, 'the job’s log stream');
    const events = await callChecked(rig.server.endpoint, 'logs', 'GetLogEvents', {
      logGroupName: '/aws/sagemaker/ProcessingJobs',
      logStreamName: stream,
      startFromHead: true,
    });
    return { stream, messages: (events.events as { message: string }[]).map((event) => event.message) };
  };
  const text = async (key: string) =>
    (await rig.s3.send(new GetObjectCommand({ Bucket: 'processing', Key: key }))).Body?.transformToString();

  before(async () => {
    rig = await startLocalRig({ stopGraceSeconds: 1 });
    const program = rig.project.path('splitter');
    await mkdir(program, { recursive: true });
    await writeFile(join(program, 'process'), PROCESS);
    await chmod(join(program, 'process'), 0o755);
    image = pathToFileURL(program).href;
    await putObjects(rig.s3, 'processing', { 'raw/a.csv': '1,2\n3,4\n', 'raw/b.csv': '5,6\n' });
  });
  after(async () => {
    await rig.close();
  });

  it('runs a job: inputs down, outputs up, the exit message, the log, answers in the model’s shape', async (t) => {
    await rig.sagemaker.send(new CreateProcessingJobCommand(request('split-ok')));
    if (await awsCliAvailable(t)) {
      const waited = await execa(
        'aws',
        [
          '--endpoint-url',
          rig.server.endpoint,
          'sagemaker',
          'wait',
          'processing-job-completed-or-stopped',
          '--processing-job-name',
          'split-ok',
        ],
        { env: AWS_CLI_ENV, reject: false },
      );
      assert.equal(waited.exitCode, 0, String(waited.stderr));
    }
    const job = await finished('split-ok');
    assert.equal(job.ProcessingJobStatus, 'Completed', job.FailureReason);
    assert.equal(job.ExitMessage, 'split 3 rows');
    assert.ok(job.ProcessingStartTime instanceof Date && job.ProcessingEndTime instanceof Date);
    assert.equal(await text('prepared/split-ok/train/train.csv'), '1,2\n3,4\n');
    assert.equal(await text('prepared/split-ok/test/test.csv'), '5,6\n');
    // Checked over the wire against AWS's model: required members present, nothing unknown.
    await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeProcessingJob', {
      ProcessingJobName: 'split-ok',
    });
    await callChecked(rig.server.endpoint, 'sagemaker', 'ListProcessingJobs', {});
    const tags = await callChecked(rig.server.endpoint, 'sagemaker', 'ListTags', {
      ResourceArn: job.ProcessingJobArn,
    });
    assert.deepEqual(tags.Tags, [{ Key: 'stage', Value: 'prepare' }]);

    const log = await jobLog('split-ok');
    assert.match(log.stream, /^split-ok\/algo-1-\d+$/);
    assert.deepEqual(log.messages, ['processing split-ok with --test-fraction 0.2']);
  });

  it('fails a job whose program fails, with its exit message; stops one that is stopped', async () => {
    await rig.sagemaker.send(
      new CreateProcessingJobCommand(request('split-fails', { FAIL_WITH: 'no labels in raw/b.csv' })),
    );
    const failed = await finished('split-fails');
    assert.equal(failed.ProcessingJobStatus, 'Failed');
    assert.match(failed.FailureReason ?? '', /^AlgorithmError: See job logs for more information/);
    assert.equal(failed.ExitMessage, 'no labels in raw/b.csv');
    // Every state's answer is checked over the wire against AWS's model: Failed here, InProgress
    // and Stopped below, Completed above.
    await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeProcessingJob', {
      ProcessingJobName: 'split-fails',
    });

    await rig.sagemaker.send(new CreateProcessingJobCommand(request('split-stopped', { SLEEP: '1' })));
    await waitFor(async () => {
      const listed = await rig.sagemaker.send(new ListProcessingJobsCommand({ StatusEquals: 'InProgress' }));
      return listed.ProcessingJobSummaries?.some((job) => job.ProcessingJobName === 'split-stopped')
        ? true
        : undefined;
    }, 'the sleeping job to run');
    await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeProcessingJob', {
      ProcessingJobName: 'split-stopped',
    });
    await rig.sagemaker.send(new StopProcessingJobCommand({ ProcessingJobName: 'split-stopped' }));
    const stopped = await finished('split-stopped');
    assert.equal(stopped.ProcessingJobStatus, 'Stopped');
    await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeProcessingJob', {
      ProcessingJobName: 'split-stopped',
    });
    const listed = await rig.sagemaker.send(
      new ListProcessingJobsCommand({ SortBy: 'Name', SortOrder: 'Ascending' }),
    );
    assert.deepEqual(
      listed.ProcessingJobSummaries?.map((job) => [job.ProcessingJobName, job.ProcessingJobStatus]),
      [
        ['split-fails', 'Failed'],
        ['split-ok', 'Completed'],
        ['split-stopped', 'Stopped'],
      ],
    );
  });

  it('runs a program folder whose entrypoint names its process program, as an image with it on PATH', async () => {
    const named = request('split-named');
    named.AppSpecification = {
      ImageUri: image,
      ContainerEntrypoint: ['process', '--named'],
      ContainerArguments: ['x'],
    };
    await rig.sagemaker.send(new CreateProcessingJobCommand(named));
    const job = await finished('split-named');
    assert.equal(job.ProcessingJobStatus, 'Completed', job.FailureReason);
    assert.deepEqual((await jobLog('split-named')).messages, ['processing split-named with --named x']);
  });

  it('refuses what it does not run, and answers for a job that does not exist as SageMaker does', async () => {
    const refused = (input: CreateProcessingJobCommandInput, message: RegExp) =>
      assert.rejects(rig.sagemaker.send(new CreateProcessingJobCommand(input)), {
        name: 'ValidationException',
        message,
      });
    const base = request('refused');
    const input = base.ProcessingInputs?.[0]?.S3Input as NonNullable<
      NonNullable<CreateProcessingJobCommandInput['ProcessingInputs']>[number]['S3Input']
    >;
    await refused(
      {
        ...base,
        ProcessingInputs: [
          {
            InputName: 'raw',
            S3Input: { ...input, LocalPath: '/tmp/raw' },
          },
        ],
      },
      /ProcessingInputs\[0\]\.S3Input\.LocalPath \/tmp\/raw must be a path under \/opt\/ml\/processing\//,
    );
    await refused(
      {
        ...base,
        ProcessingResources: {
          ClusterConfig: { InstanceCount: 2, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
        },
      },
      /ProcessingResources\.ClusterConfig\.InstanceCount 2 \(it runs 1\) is not supported by the local SageMaker/,
    );
    await refused(
      { ...base, AppSpecification: { ImageUri: image, ContainerEntrypoint: ['python3', 'prepare.py'] } },
      /AppSpecification\.ContainerEntrypoint needs a container image: the local SageMaker runs a program folder \(file:\/\/\) as processes/,
    );
    await refused(
      { ...base, ProcessingInputs: [{ InputName: 'raw', AppManaged: true, S3Input: input }] },
      /ProcessingInputs\[0\]\.AppManaged true \(it runs false\) is not supported by the local SageMaker/,
    );
    await refused(
      { ...base, NetworkConfig: { EnableNetworkIsolation: true } },
      /^NetworkConfig is not supported by the local SageMaker; remove it, or use target aws$/,
    );
    await assert.rejects(
      rig.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'nothing-here' })),
      {
        name: 'ValidationException',
        message:
          /^Could not find processing job 'arn:aws:sagemaker:us-east-1:\d{12}:processing-job\/nothing-here'\.$/,
      },
    );
    const objects = await rig.s3.send(
      new ListObjectsV2Command({ Bucket: 'processing', Prefix: 'prepared/refused/' }),
    );
    assert.equal(objects.KeyCount, 0, 'a refused job wrote nothing');
  });
});
