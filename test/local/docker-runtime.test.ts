// The local SageMaker with the docker runtime: a training job and an endpoint that run the
// example's real image, as SageMaker runs it (IMAGE train / IMAGE serve), leaving no container.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateEndpointCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { execa } from 'execa';
import { leftoverContainers, requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { containerDir, labelledCsv, prepareExampleModel } from '../rig/example-model.js';
import {
  createModelWithConfig,
  type LocalRig,
  putObjects,
  startLocalRig,
  trainingJobRequest,
  waitForEndpoint,
  waitForJob,
} from '../rig/local-sagemaker.js';

const IMAGE = 'pipeline-test/keras-example:local-sagemaker';

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
    await execa('docker', [
      'build',
      '--quiet',
      '--tag',
      IMAGE,
      '--build-arg',
      `BASE_IMAGE=${TEST_BASE_IMAGE}`,
      '--build-arg',
      'TFJS_NODE=skip',
      containerDir,
    ]);
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

    await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'docker-ep' }));
    assert.deepEqual(await leftoverContainers(), []);
  });
});
