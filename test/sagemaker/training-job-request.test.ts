// The CreateTrainingJob request built from pipeline.yaml: every training option, hyperparameters
// stringified as the Python SDK does, a valid unique name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PipelineConfig } from '../../src/engine/config/pipeline-config.js';
import { createTrainingJobRequest } from '../../src/sagemaker/training-job.js';
import { uniqueResourceName } from '../../src/shared/poll.js';

const config = {
  name: 'churn-model',
  target: 'aws',
  aws: { roleArn: 'arn:aws:iam::123456789012:role/SageMaker', bucket: 'b', prefix: 'p' },
  data: {
    training: { path: 'data/train', contentType: 'text/csv', distribution: 'ShardedByS3Key' },
    validation: { path: 'data/val', distribution: 'FullyReplicated' },
  },
  training: {
    instanceType: 'ml.m5.xlarge',
    instanceCount: 2,
    volumeSizeGB: 30,
    maxRuntimeSeconds: 3600,
    spot: { enabled: true, maxWaitSeconds: 7200, checkpointLocalPath: '/opt/ml/checkpoints' },
    environment: { LOG_LEVEL: 'debug' },
    hyperparameters: { epochs: 200, learning_rate: 0.05, shuffle: true, init: 'normal' },
    metricDefinitions: [{ name: 'accuracy', regex: 'accuracy=([0-9.]+)' }],
  },
} as unknown as PipelineConfig;

describe('createTrainingJobRequest', () => {
  it('carries every training option of the config', () => {
    const request = createTrainingJobRequest(
      config,
      'churn-model-20261126-010203-abcd',
      '123.dkr.ecr.us-east-1.amazonaws.com/churn@sha256:00',
      { training: 's3://b/p/training/', validation: 's3://b/p/validation/' },
      'b',
    );
    assert.deepEqual(request.HyperParameters, {
      epochs: '200',
      learning_rate: '0.05',
      shuffle: 'True',
      init: 'normal',
    });
    assert.deepEqual(request.ResourceConfig, {
      InstanceType: 'ml.m5.xlarge',
      InstanceCount: 2,
      VolumeSizeInGB: 30,
    });
    assert.deepEqual(request.StoppingCondition, { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 });
    assert.equal(request.EnableManagedSpotTraining, true);
    assert.deepEqual(request.CheckpointConfig, {
      S3Uri: 's3://b/p/checkpoints/churn-model-20261126-010203-abcd',
      LocalPath: '/opt/ml/checkpoints',
    });
    assert.deepEqual(request.Environment, { LOG_LEVEL: 'debug' });
    assert.deepEqual(request.AlgorithmSpecification?.MetricDefinitions, [
      { Name: 'accuracy', Regex: 'accuracy=([0-9.]+)' },
    ]);
    assert.equal(request.AlgorithmSpecification?.TrainingInputMode, 'File');
    assert.deepEqual(request.InputDataConfig?.[0], {
      ChannelName: 'training',
      DataSource: {
        S3DataSource: {
          S3DataType: 'S3Prefix',
          S3Uri: 's3://b/p/training/',
          S3DataDistributionType: 'ShardedByS3Key',
        },
      },
      ContentType: 'text/csv',
    });
    assert.equal(request.InputDataConfig?.[1]?.ContentType, undefined);
    assert.deepEqual(request.OutputDataConfig, { S3OutputPath: 's3://b/p/output' });
    assert.deepEqual(request.Tags, [{ Key: 'pipeline', Value: 'churn-model' }]);
  });

  it('leaves spot settings out when spot is off', () => {
    const onDemand = {
      ...config,
      training: { ...config.training, spot: { enabled: false, checkpointLocalPath: '/opt/ml/checkpoints' } },
    } as PipelineConfig;
    const request = createTrainingJobRequest(onDemand, 'j', 'i', { training: 's', validation: 's' }, 'b');
    assert.equal(request.EnableManagedSpotTraining, undefined);
    assert.equal(request.CheckpointConfig, undefined);
    assert.deepEqual(request.StoppingCondition, { MaxRuntimeInSeconds: 3600 });
  });
});

describe('uniqueResourceName', () => {
  const at = new Date('2026-11-26T01:02:03Z');
  const pattern = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

  it('is the name, a UTC timestamp and a random tail', () => {
    assert.match(uniqueResourceName('keras-example', at), /^keras-example-20261126-010203-[0-9a-f]{4}$/);
  });

  it('makes any pipeline name valid for SageMaker, and at most 63 characters', () => {
    for (const name of ['my_model.v2', '--x--', 'a'.repeat(100), '___', 'Ünïcode model']) {
      const made = uniqueResourceName(name, at);
      assert.match(made, pattern, made);
      assert.ok(made.length <= 63, made);
    }
  });

  it('differs between two calls in the same second', () => {
    const names = new Set(Array.from({ length: 20 }, () => uniqueResourceName('m', at)));
    assert.ok(names.size > 15);
  });
});
