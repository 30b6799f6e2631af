// The local SageMaker with the docker runtime: a training job and an endpoint that run the
// example's real image, as SageMaker runs it (IMAGE train / IMAGE serve), leaving no container.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { execa } from 'execa';
import { generateSamples } from '../../src/example/generate-example-data.js';
import { leftoverContainers, requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { containerDir, prepareExampleModel } from '../rig/example-model.js';
import { type LocalRig, putObjects, ROLE, startLocalRig, waitForJob } from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';

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
    const rows = generateSamples(300, 1).map((s) =>
      [...s.features, s.label === 0 ? 1 : 0, s.label].join(','),
    );
    await putObjects(rig.s3, 'docker-bucket', { 'train/a.csv': rows.join('\n') });
    await rig.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'docker-job',
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
        HyperParameters: { epochs: '2' },
        InputDataConfig: [
          {
            ChannelName: 'training',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://docker-bucket/train/' } },
          },
        ],
        OutputDataConfig: { S3OutputPath: 's3://docker-bucket/out' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 300 },
      }),
    );
    const job = await waitForJob(rig.sagemaker, 'docker-job');
    assert.equal(job.TrainingJobStatus, 'Completed', job.FailureReason);

    await rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'docker-model',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: job.ModelArtifacts?.S3ModelArtifacts },
      }),
    );
    await rig.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'docker-config',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'docker-model',
            InstanceType: 'ml.t2.medium',
            InitialInstanceCount: 1,
          },
        ],
      }),
    );
    await rig.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'docker-ep', EndpointConfigName: 'docker-config' }),
    );
    const endpoint = await waitFor(
      async () => {
        const described = await rig?.sagemaker.send(
          new DescribeEndpointCommand({ EndpointName: 'docker-ep' }),
        );
        return described?.EndpointStatus === 'InService' || described?.EndpointStatus === 'Failed'
          ? described
          : undefined;
      },
      'docker-ep',
      120,
    );
    assert.equal(endpoint.EndpointStatus, 'InService', endpoint.FailureReason);
    const answer = await rig.runtime.send(
      new InvokeEndpointCommand({ EndpointName: 'docker-ep', Body: '1,2\n6,6\n', ContentType: 'text/csv' }),
    );
    assert.equal(new TextDecoder().decode(answer.Body).trim().split('\n').length, 2);

    await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'docker-ep' }));
    assert.deepEqual(await leftoverContainers(), []);
  });
});
