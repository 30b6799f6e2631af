// The local SageMaker's hosting, driven by the real AWS SDK v3 clients: a model served from a
// training job's model.tar.gz, invoked, updated without a failed request, found again by a
// restarted server, and deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateEndpointCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ListEndpointsCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startLocalSageMaker } from '../../src/local-sagemaker/local-sagemaker.js';
import { labelledCsv as csv, prepareExampleModel } from '../rig/example-model.js';
import {
  connectRig,
  createModelWithConfig,
  type LocalRig,
  PROCESS_IMAGE,
  putObjects,
  startLocalRig,
  trainingJobRequest,
  waitForEndpoint,
  waitForJob,
} from '../rig/local-sagemaker.js';
import { TEST_KEY } from '../rig/test-key.js';

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
      new CreateTrainingJobCommand(
        trainingJobRequest({
          name: 'host-job',
          data: 's3://host-bucket/train/',
          hyperparameters: { epochs: '2', learning_rate: '0.5' },
        }),
      ),
    );
    const job = await waitForJob(rig.sagemaker, 'host-job');
    artifact = job.ModelArtifacts?.S3ModelArtifacts ?? '';
    for (const name of ['model-a', 'model-b']) {
      await createModelWithConfig(
        rig.sagemaker,
        { model: name, config: `config-${name}` },
        PROCESS_IMAGE,
        artifact,
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
    const restarted = await startLocalSageMaker({ dataDir, keys: [TEST_KEY] });
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
