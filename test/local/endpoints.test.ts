// The local SageMaker's hosting, driven by the real AWS SDK v3 clients: a model served from a
// training job's model.tar.gz, invoked, updated without a failed request, found again by a
// restarted server, and deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  ListEndpointsCommand,
  type SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { generateSamples } from '../../src/example/generate-example-data.js';
import { startLocalSageMaker } from '../../src/local/sagemaker/local-sagemaker.js';
import { prepareExampleModel } from '../rig/example-model.js';
import {
  connectRig,
  type LocalRig,
  PROCESS_IMAGE,
  putObjects,
  ROLE,
  startLocalRig,
  waitForJob,
} from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';

const csv = (count: number) =>
  generateSamples(count, 1)
    .map((s) => [...s.features, s.label === 0 ? 1 : 0, s.label].join(','))
    .join('\n');

function waitForEndpoint(sagemaker: SageMakerClient, name: string): Promise<DescribeEndpointCommandOutput> {
  return waitFor(
    async () => {
      const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      return endpoint.EndpointStatus === 'InService' || endpoint.EndpointStatus === 'Failed'
        ? endpoint
        : undefined;
    },
    `endpoint ${name} to settle`,
    60,
  );
}

describe('local SageMaker endpoints, through the AWS SDK', () => {
  let rig: LocalRig;
  let artifact = '';
  const invoke = (body: string, contentType = 'text/csv') =>
    rig.runtime.send(
      new InvokeEndpointCommand({
        EndpointName: 'ep',
        Body: body,
        ContentType: contentType,
        Accept: 'text/csv',
      }),
    );

  before(async () => {
    await prepareExampleModel();
    rig = await startLocalRig();
    await putObjects(rig.s3, 'host-bucket', { 'train/a.csv': csv(400) });
    await rig.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'host-job',
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: PROCESS_IMAGE, TrainingInputMode: 'File' },
        HyperParameters: { epochs: '2', learning_rate: '0.5' },
        InputDataConfig: [
          {
            ChannelName: 'training',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://host-bucket/train/' } },
          },
        ],
        OutputDataConfig: { S3OutputPath: 's3://host-bucket/out' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 300 },
      }),
    );
    const job = await waitForJob(rig.sagemaker, 'host-job');
    artifact = job.ModelArtifacts?.S3ModelArtifacts ?? '';
    for (const name of ['model-a', 'model-b']) {
      await rig.sagemaker.send(
        new CreateModelCommand({
          ModelName: name,
          ExecutionRoleArn: ROLE,
          PrimaryContainer: { Image: PROCESS_IMAGE, ModelDataUrl: artifact },
        }),
      );
      await rig.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: `config-${name}`,
          ProductionVariants: [
            {
              VariantName: 'AllTraffic',
              ModelName: name,
              InstanceType: 'ml.t2.medium',
              InitialInstanceCount: 1,
            },
          ],
        }),
      );
    }
  });
  after(async () => {
    await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'ep' })).catch(() => undefined);
    await rig.close();
  });

  it('creates an endpoint that goes InService and answers one row per row', async () => {
    await rig.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'config-model-a' }),
    );
    const endpoint = await waitForEndpoint(rig.sagemaker, 'ep');
    assert.equal(endpoint.EndpointStatus, 'InService', endpoint.FailureReason);
    const answer = await invoke('1,2\n6,6\n');
    assert.equal(answer.ContentType, 'text/csv');
    assert.equal(new TextDecoder().decode(answer.Body).trim().split('\n').length, 2);
  });

  it('turns a container error into ModelError with the original status and message', async () => {
    await assert.rejects(
      invoke('1,x\n'),
      (error: Error & { OriginalStatusCode?: number; OriginalMessage?: string }) => {
        assert.equal(error.name, 'ModelError');
        assert.equal(error.OriginalStatusCode, 400);
        assert.equal(error.OriginalMessage, 'row 1, column 2: "x" is not a number');
        return true;
      },
    );
    await assert.rejects(
      rig.runtime.send(
        new InvokeEndpointCommand({ EndpointName: 'nope', Body: '1,2', ContentType: 'text/csv' }),
      ),
      { name: 'ValidationError', message: /Endpoint nope of account \d+ not found/ },
    );
  });

  it('updates the endpoint in place without a failed invocation', async () => {
    let failures = 0;
    let calls = 0;
    let updating = true;
    const traffic = (async () => {
      while (updating) {
        calls++;
        await invoke('6,6\n').catch(() => failures++);
      }
    })();
    await rig.sagemaker.send(
      new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'config-model-b' }),
    );
    const updated = await waitForEndpoint(rig.sagemaker, 'ep');
    updating = false;
    await traffic;
    assert.equal(updated.EndpointStatus, 'InService');
    assert.equal(updated.EndpointConfigName, 'config-model-b');
    assert.equal(failures, 0, `${failures} of ${calls} invocations failed during the update`);
    assert.ok(calls > 5);
  });

  it('is found again, still serving, by a restarted local SageMaker', async () => {
    const dataDir = rig.project.path('.pipeline', 'local');
    await rig.server.close();
    const restarted = await startLocalSageMaker({ dataDir });
    const project = rig.project;
    for (const client of [rig.sagemaker, rig.s3, rig.logs, rig.runtime]) client.destroy();
    rig = connectRig(project, restarted);
    const endpoint = await rig.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    assert.equal(endpoint.EndpointStatus, 'InService');
    assert.equal((await invoke('1,2\n')).$metadata.httpStatusCode, 200);
    const list = await rig.sagemaker.send(new ListEndpointsCommand({}));
    assert.deepEqual(
      list.Endpoints?.map((e) => e.EndpointName),
      ['ep'],
    );
  });

  it('deletes the endpoint and stops what served it', async () => {
    await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'ep' }));
    await assert.rejects(rig.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep' })), {
      name: 'ValidationException',
      message: /Could not find endpoint/,
    });
    await assert.rejects(invoke('1,2\n'), { name: 'ValidationError' });
  });
});
