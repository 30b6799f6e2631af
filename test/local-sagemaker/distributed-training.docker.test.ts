// A training job on several instances, as SageMaker runs one: a container per host (algo-1,
// algo-2) on a network of the job's own where each reaches the other by its host name, each with
// its resourceconfig.json, its share of a ShardedByS3Key channel and the whole of a replicated
// one, a log stream each; the model archive holds what every host wrote; a host that fails fails
// the job, naming it, and the others are stopped. Nothing is left behind.
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, type CreateTrainingJobCommandInput } from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { list as listTar } from 'tar';
import { AWS_CLI_ENV, awsCliAvailable } from '../rig/aws-cli.js';
import { leftoverContainers, requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { type LocalRig, putObjects, ROLE, startLocalRig, waitForJob } from '../rig/local-sagemaker.js';

const IMAGE = 'pipeline-test/distributed:local';

// algo-1 listens on port 7000 until every other host has said hello; the others connect to it by
// name (it may not listen yet: they try again) and write its answer into their model folder.
const TRAIN = `#!/usr/bin/env node
const fs = require('node:fs');
const net = require('node:net');
const ml = '/opt/ml';
const { current_host: me, hosts } = JSON.parse(fs.readFileSync(ml + '/input/config/resourceconfig.json', 'utf8'));
const params = JSON.parse(fs.readFileSync(ml + '/input/config/hyperparameters.json', 'utf8'));
const list = (channel) => fs.readdirSync(ml + '/input/data/' + channel).sort().join(',');
console.log(me + ' of ' + hosts.join(',') + ': shards ' + list('shards') + '; everything ' + list('everything'));
if (params.fail_on === me) {
  fs.writeFileSync(ml + '/output/failure', me + ' could not go on');
  process.exit(2);
}
if (me === 'algo-1') {
  let heard = 0;
  const server = net.createServer((socket) => socket.on('data', (data) => {
    console.log(me + ' heard: ' + data);
    fs.writeFileSync(ml + '/model/heard-' + String(data).split(' ').pop() + '.txt', String(data));
    socket.end('welcome from ' + me);
    if (++heard === hosts.length - 1) server.close();
  }));
  server.listen(7000);
} else {
  const attempt = (left) => {
    const socket = net.connect(7000, 'algo-1', () => socket.write('hello from ' + me));
    socket.on('data', (data) => {
      console.log(me + ' got: ' + data);
      fs.writeFileSync(ml + '/model/' + me + '.txt', String(data));
      socket.end();
    });
    socket.on('error', () => (left > 0 ? setTimeout(() => attempt(left - 1), 100) : process.exit(3)));
  };
  attempt(300);
}
`;

describe('a training job on several instances (docker)', () => {
  let rig: LocalRig;

  before(async () => {
    rig = await startLocalRig({ stopGraceSeconds: 1 });
    await putObjects(rig.s3, 'dist', {
      'shards/a.csv': 'a',
      'shards/b.csv': 'b',
      'shards/c.csv': 'c',
      'shards/d.csv': 'd',
      'everything/x.csv': 'x',
      'everything/y.csv': 'y',
    });
  });
  after(async () => {
    await rig?.close();
    assert.deepEqual(await leftoverContainers(), [], 'no container or network is left');
  });

  async function buildImage(): Promise<void> {
    const context = rig.project.path('distributed');
    await mkdir(join(context, 'bin'), { recursive: true });
    await writeFile(join(context, 'bin', 'train'), TRAIN);
    await chmod(join(context, 'bin', 'train'), 0o755);
    await writeFile(
      join(context, 'Dockerfile'),
      `FROM ${TEST_BASE_IMAGE}\nCOPY bin /opt/program/bin\nENV PATH=/opt/program/bin:$PATH\n`,
    );
    await execa('docker', ['build', '--quiet', '--tag', IMAGE, context]);
  }

  const request = (
    name: string,
    hyperparameters: Record<string, string> = {},
  ): CreateTrainingJobCommandInput => ({
    TrainingJobName: name,
    RoleArn: ROLE,
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
    HyperParameters: hyperparameters,
    InputDataConfig: ['shards', 'everything'].map((channel) => ({
      ChannelName: channel,
      DataSource: {
        S3DataSource: {
          S3DataType: 'S3Prefix',
          S3Uri: `s3://dist/${channel}/`,
          S3DataDistributionType: channel === 'shards' ? 'ShardedByS3Key' : 'FullyReplicated',
        },
      },
    })),
    OutputDataConfig: { S3OutputPath: 's3://dist/output' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 120 },
  });

  it('runs a container per host that reach each other by name, each with its shard and its log stream', async (t) => {
    if (!(await requireDocker(t))) return;
    await buildImage();
    await rig.sagemaker.send(new CreateTrainingJobCommand(request('two-hosts')));
    const job = await waitForJob(rig.sagemaker, 'two-hosts', 120);
    assert.equal(job.TrainingJobStatus, 'Completed', job.FailureReason);

    // The archive holds what both hosts wrote.
    const archive = await rig.s3.send(
      new GetObjectCommand({ Bucket: 'dist', Key: 'output/two-hosts/output/model.tar.gz' }),
    );
    const files: string[] = [];
    await new Promise<void>((done, failed) =>
      (archive.Body as Readable)
        .pipe(listTar({ onReadEntry: (entry) => files.push(entry.path) }))
        .on('finish', done)
        .on('error', failed),
    );
    assert.deepEqual(files.sort(), ['algo-2.txt', 'heard-algo-2.txt']);

    if (!(await awsCliAvailable(t))) return;
    const aws = (args: string[]) =>
      execa('aws', ['--endpoint-url', rig.server.endpoint, '--output', 'json', 'logs', ...args], {
        env: AWS_CLI_ENV,
      });
    const streams = JSON.parse(
      (
        await aws([
          'describe-log-streams',
          '--log-group-name',
          '/aws/sagemaker/TrainingJobs',
          '--log-stream-name-prefix',
          'two-hosts/',
        ])
      ).stdout,
    ).logStreams.map((stream: { logStreamName: string }) => stream.logStreamName) as string[];
    assert.deepEqual(
      streams.map((stream) => stream.replace(/-\d+$/, '')),
      ['two-hosts/algo-1', 'two-hosts/algo-2'],
    );
    const linesOf = async (stream: string) =>
      JSON.parse(
        (
          await aws([
            'get-log-events',
            '--log-group-name',
            '/aws/sagemaker/TrainingJobs',
            '--log-stream-name',
            stream,
          ])
        ).stdout,
      ).events.map((event: { message: string }) => event.message) as string[];
    const [first, second] = await Promise.all(streams.map(linesOf));
    assert.deepEqual(first, [
      'algo-1 of algo-1,algo-2: shards a.csv,c.csv; everything x.csv,y.csv',
      'algo-1 heard: hello from algo-2',
    ]);
    assert.deepEqual(second, [
      'algo-2 of algo-1,algo-2: shards b.csv,d.csv; everything x.csv,y.csv',
      'algo-2 got: welcome from algo-1',
    ]);
  });

  it('fails the job when one host fails, naming it, and stops the others', async (t) => {
    if (!(await requireDocker(t))) return;
    await buildImage();
    // algo-1 would wait for algo-2's hello until its max runtime: it is stopped instead.
    await rig.sagemaker.send(new CreateTrainingJobCommand(request('one-host-fails', { fail_on: 'algo-2' })));
    const job = await waitForJob(rig.sagemaker, 'one-host-fails', 60);
    assert.equal(job.TrainingJobStatus, 'Failed');
    assert.equal(job.FailureReason, 'AlgorithmError: algo-2 could not go on (on algo-2)');
  });
});
