// The whole path with the docker runtime: the image built, pushed through the local ECR to a real
// registry (Debian's docker-registry), trained and served by digest in containers; before training, a
// command stage and the example's processing job, run by docker, whose output the training job reads.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeProcessingJobCommand, DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { leftoverContainers, requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { addGatherStage } from '../rig/example-model.js';
import {
  cleanUpExampleProject,
  destroyLocalTarget,
  freshExampleProject,
  localTargetOf,
} from '../rig/local-target.js';
import type { TestProject } from '../rig/project.js';
import { type LocalRegistry, startRegistry } from '../rig/registry.js';
import { listeningSockets, newListeners } from '../rig/sockets.js';

describe('the cloud stages on the local target (docker runtime, local registry)', () => {
  let project: TestProject;
  let registry: LocalRegistry | undefined;
  before(async () => {
    project = await freshExampleProject();
    // A command stage before the example's processing job: the whole chain on docker.
    await addGatherStage(project);
  });
  after(async () => {
    await cleanUpExampleProject(project);
    await registry?.stop();
  });

  it('pushes by digest, trains and serves the pushed image, and leaves no container behind', async (t) => {
    if (!(await requireDocker(t))) return;
    registry = await startRegistry(t);
    if (!registry) return;
    const args = [
      'run',
      '--to',
      'invoke',
      '--set',
      'runtime=docker',
      '--set',
      `local.registry=${registry.host}`,
      '--set',
      'training.hyperparameters.epochs=5',
    ];
    const env = { PIPELINE_BASE_IMAGE: TEST_BASE_IMAGE };
    const socketsBefore = await listeningSockets();
    const plan = await project.run(['plan', ...args.slice(1)], { env, real: true });
    assert.doesNotMatch(plan.stdout, /nothing is pushed/);

    const result = await project.run(args, { env, real: true });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const push = await project.stageOutputs('push');
    assert.match(push.imageUri, new RegExp(`^${registry.host}/keras-example@sha256:[0-9a-f]{64}$`));
    assert.doesNotMatch(
      result.stdout + result.stderr,
      /local-registry/,
      'the registry password is never shown',
    );
    const train = await project.stageOutputs('train');
    const local = await localTargetOf(project);
    try {
      const job = await local.sagemaker.send(
        new DescribeTrainingJobCommand({ TrainingJobName: train.jobName }),
      );
      assert.equal(job.AlgorithmSpecification?.TrainingImage, push.imageUri);
      // The example's prepare stage: a processing job of the pushed image, run by docker, whose
      // outputs the training job read where they are in S3.
      const prepare = await project.stageOutputs('prepare');
      const processing = await local.sagemaker.send(
        new DescribeProcessingJobCommand({ ProcessingJobName: prepare.jobName }),
      );
      assert.equal(processing.ProcessingJobStatus, 'Completed');
      assert.equal(processing.AppSpecification?.ImageUri, push.imageUri);
      assert.deepEqual(
        Object.fromEntries(
          (job.InputDataConfig ?? []).map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3Uri]),
        ),
        { training: prepare.outs.training.s3Uri, validation: prepare.outs.validation.s3Uri },
      );
      assert.match(result.stdout, /split 20000 rows: 16000 for training, 4000 for validation/);
      assert.equal((await project.stageOutputs('gather')).outs.rows.path, 'data/raw');
      assert.match(
        processing.ProcessingInputs?.[0]?.S3Input?.S3Uri ?? '',
        /\/processing\/prepare\/input\/raw\/$/,
      );
    } finally {
      local.close();
    }
    assert.equal((await project.stageOutputs('invoke')).rows, 15);
    // The local SageMaker, its S3 and the endpoint's published port 8080: all on loopback only.
    const listeners = await newListeners(socketsBefore);
    assert.deepEqual(listeners.exposed, [], `listening beyond loopback: ${listeners.exposed}`);
    assert.ok(
      listeners.added.length >= 3,
      `expected the local SageMaker, S3 and endpoint: ${listeners.added}`,
    );

    await destroyLocalTarget(project);
    assert.deepEqual(await leftoverContainers(), []);
    await execa('docker', ['rmi', `${registry.host}/keras-example:latest`], { reject: false });
  });

  it('says in the plan that without a registry the local image is used as it is', async () => {
    const plan = await project.run(['plan', '--set', 'runtime=process'], { real: true });
    assert.match(
      plan.stdout,
      /note: no local registry configured \(local\.registry\): the built image is used as it is/,
    );
  });
});
