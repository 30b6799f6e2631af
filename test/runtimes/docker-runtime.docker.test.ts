// The local SageMaker with the docker runtime: a training job and an endpoint that run the
// example's real image, as SageMaker runs it (IMAGE train / IMAGE serve), leaving no container.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { execa } from 'execa';
import { dockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { buildExampleImage, leftoverContainers, requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { labelledCsv, prepareExampleModel } from '../rig/example-model.js';
import {
  createModelWithConfig,
  type LocalRig,
  putObjects,
  ROLE,
  startLocalRig,
  trainingJobRequest,
  waitForEndpoint,
  waitForJob,
} from '../rig/local-sagemaker.js';
import { listeningSockets, newListeners } from '../rig/sockets.js';

const IMAGE = 'pipeline-test/keras-example:local-sagemaker';
const PORT_8080_IMAGE = 'pipeline-test/port-8080:local';

describe('local SageMaker with the docker runtime', () => {
  let rig: LocalRig | undefined;
  before(async () => {
    await prepareExampleModel();
  });
  after(async () => {
    await rig?.sagemaker
      .send(new DeleteEndpointCommand({ EndpointName: 'docker-ep' }))
      .catch(() => undefined);
    await rig?.close();
  });

  it('trains in a container, then serves the model from another', async (t) => {
    if (!(await requireDocker(t))) return;
    await buildExampleImage(IMAGE);
    rig = await startLocalRig();
    const rows = labelledCsv(300);
    await putObjects(rig.s3, 'docker-bucket', { 'train/a.csv': rows });
    await rig.sagemaker.send(
      new CreateTrainingJobCommand(
        trainingJobRequest({
          name: 'docker-job',
          data: 's3://docker-bucket/train/',
          hyperparameters: { epochs: '2' },
          image: IMAGE,
        }),
      ),
    );
    const job = await waitForJob(rig.sagemaker, 'docker-job');
    assert.equal(job.TrainingJobStatus, 'Completed', job.FailureReason);

    // ContainerEntrypoint and ContainerArguments run instead of `train`, as SageMaker runs them.
    const request = trainingJobRequest({
      name: 'docker-entrypoint',
      data: 's3://docker-bucket/train/',
      hyperparameters: {},
      image: IMAGE,
    });
    await rig.sagemaker.send(
      new CreateTrainingJobCommand({
        ...request,
        AlgorithmSpecification: {
          ...request.AlgorithmSpecification,
          ContainerEntrypoint: [
            'node',
            '-e',
            "console.log('entrypoint ran with ' + process.argv[1]); require('node:fs').writeFileSync('/opt/ml/model/entrypoint', '')",
          ],
          ContainerArguments: ['hello'],
        } as never,
      }),
    );
    const entry = await waitForJob(rig.sagemaker, 'docker-entrypoint');
    assert.equal(entry.TrainingJobStatus, 'Completed', entry.FailureReason);
    const logged = await rig.logs.send(
      new FilterLogEventsCommand({
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamNamePrefix: 'docker-entrypoint/',
        filterPattern: '"entrypoint ran with hello"',
      }),
    );
    assert.equal(logged.events?.length, 1);

    await createModelWithConfig(
      rig.sagemaker,
      { model: 'docker-model', config: 'docker-config' },
      IMAGE,
      job.ModelArtifacts?.S3ModelArtifacts,
    );
    await rig.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'docker-ep', EndpointConfigName: 'docker-config' }),
    );
    const endpoint = await waitForEndpoint(rig.sagemaker, 'docker-ep');
    assert.equal(endpoint.EndpointStatus, 'InService', endpoint.FailureReason);
    const answer = await rig.runtime.send(
      new InvokeEndpointCommand({ EndpointName: 'docker-ep', Body: '1,2\n6,6\n', ContentType: 'text/csv' }),
    );
    assert.equal(new TextDecoder().decode(answer.Body).trim().split('\n').length, 2);
    // What the serving container wrote is its endpoint's log, each line with its own time.
    const group = '/aws/sagemaker/Endpoints/docker-ep';
    const [stream] =
      (await rig.logs.send(new DescribeLogStreamsCommand({ logGroupName: group }))).logStreams ?? [];
    const events =
      (
        await rig.logs.send(
          new GetLogEventsCommand({
            logGroupName: group,
            logStreamName: stream?.logStreamName,
            startFromHead: true,
          }),
        )
      ).events ?? [];
    assert.ok(
      events.some((event) => /serving the model from \/opt\/ml\/model/.test(event.message ?? '')),
      events.map((event) => event.message).join('\n'),
    );

    await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'docker-ep' }));
    assert.deepEqual(await leftoverContainers(), []);
  });

  it('asks docker once for an image named by its content, and every time for a tag', async (t) => {
    if (!(await requireDocker(t))) return;
    // An image of its own (a label of this run's), so that removing it touches no other test.
    const tag = 'pipeline-test/prepared-once:local';
    const dir = await mkdtemp(join(tmpdir(), 'prepared-once-'));
    try {
      await writeFile(join(dir, 'Dockerfile'), `FROM ${TEST_BASE_IMAGE}\nLABEL run=${Date.now()}\n`);
      const id = String((await execa('docker', ['build', '--quiet', '--tag', tag, dir])).stdout).trim();
      const byId = { runtime: 'docker' as const, image: tag, imageId: id };
      const byTag = { runtime: 'docker' as const, image: tag, imageId: tag };
      await dockerRuntime.prepareImage(byId, 'train');
      await dockerRuntime.prepareImage(byTag, 'train');
      await execa('docker', ['rmi', '--force', tag]);
      // The ID was found once: not asked again (the container's start would say it is gone).
      await dockerRuntime.prepareImage(byId, 'train');
      // A tag may name other content by now: asked again, and there is none to pull.
      await assert.rejects(
        dockerRuntime.prepareImage(byTag, 'train'),
        /Cannot pull the image pipeline-test\/prepared-once:local/,
      );
    } finally {
      await execa('docker', ['rmi', '--force', tag], { reject: false });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reaches containers that listen only on 8080 and read no variable, two at once, on loopback only', async (t) => {
    if (!(await requireDocker(t))) return;
    const context = await mkdtemp(join(tmpdir(), 'port-8080-'));
    try {
      // A model server as SageMaker's own examples write them: port 8080, fixed, nothing else.
      await writeFile(
        join(context, 'serve'),
        `#!/usr/bin/env node
require('node:http').createServer((request, response) => {
  if (request.url === '/ping') return response.end('ok');
  request.resume();
  request.on('end', () => response.end(require('node:os').hostname() + '\\n'));
}).listen(8080, '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
`,
        { mode: 0o755 },
      );
      await writeFile(
        join(context, 'Dockerfile'),
        'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY serve /usr/local/bin/serve\nENTRYPOINT []\n',
      );
      await execa('docker', [
        'build',
        '--quiet',
        '--tag',
        PORT_8080_IMAGE,
        '--build-arg',
        `BASE_IMAGE=${TEST_BASE_IMAGE}`,
        context,
      ]);
    } finally {
      await rm(context, { recursive: true, force: true });
    }
    rig ??= await startLocalRig();
    const sockets = await listeningSockets();
    await createModelWithConfig(
      rig.sagemaker,
      { model: 'fixed-a', config: 'fixed-a' },
      PORT_8080_IMAGE,
      undefined,
    );
    // The second is serverless: started by its first request, its memory size the container's limit.
    await rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'fixed-b',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: PORT_8080_IMAGE },
      }),
    );
    await rig.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'fixed-b',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'fixed-b',
            ServerlessConfig: { MemorySizeInMB: 1024, MaxConcurrency: 2 },
          },
        ],
      }),
    );
    for (const name of ['fixed-a', 'fixed-b'])
      await rig.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    try {
      const hosts = new Set<string>();
      for (const name of ['fixed-a', 'fixed-b']) {
        const endpoint = await waitForEndpoint(rig.sagemaker, name);
        assert.equal(endpoint.EndpointStatus, 'InService', endpoint.FailureReason);
      }
      for (const name of ['fixed-a', 'fixed-b']) {
        const answer = await rig.runtime.send(
          new InvokeEndpointCommand({ EndpointName: name, Body: '1', ContentType: 'text/plain' }),
        );
        hosts.add(new TextDecoder().decode(answer.Body).trim());
      }
      assert.equal(hosts.size, 2, 'each endpoint is its own container, both on their 8080');
      const stored = JSON.parse(
        await readFile(rig.project.path('.pipeline/local/sagemaker/hosting/endpoints/fixed-b.json'), 'utf8'),
      ) as { deployment: { variants: { servers: { container: string }[] }[] } };
      const container = stored.deployment.variants[0]?.servers[0]?.container as string;
      const limits = await execa('docker', [
        'inspect',
        '--format',
        '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}',
        container,
      ]);
      assert.equal(
        limits.stdout.trim(),
        `${1024 * 1024 * 1024} ${1024 * 1024 * 1024}`,
        'MemorySizeInMB, no swap',
      );
      const listeners = await newListeners(sockets);
      assert.deepEqual(listeners.exposed, [], `listening beyond loopback: ${listeners.exposed}`);

      // A process that follows a live endpoint's container (as `pipeline local serve` does) can
      // still exit once it lets it go: its `docker wait` child held it alive, and SIGTERM seemed
      // ignored. The container keeps serving.
      const served = JSON.parse(
        await readFile(rig.project.path('.pipeline/local/sagemaker/hosting/endpoints/fixed-a.json'), 'utf8'),
      ) as { deployment: { variants: { servers: unknown[] }[] } };
      const runtime = new URL('../../src/runtimes/docker/docker-runtime.js', import.meta.url).href;
      const follower = await execa(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { dockerRuntime } = await import(${JSON.stringify(runtime)});
           const server = await dockerRuntime.reattach(${JSON.stringify(served.deployment.variants[0]?.servers[0])});
           if (!server) process.exit(3);
           server.release();`,
        ],
        { reject: false, timeout: 60_000 },
      );
      assert.equal(follower.exitCode, 0, `the follower did not exit on its own: ${follower.stderr}`);
      const still = await rig.runtime.send(
        new InvokeEndpointCommand({ EndpointName: 'fixed-a', Body: '1', ContentType: 'text/plain' }),
      );
      assert.equal(still.$metadata.httpStatusCode, 200);
    } finally {
      for (const name of ['fixed-a', 'fixed-b'])
        await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: name })).catch(() => undefined);
    }
    assert.deepEqual(await leftoverContainers(), []);
  });
});
