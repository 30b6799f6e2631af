// Whatever a container's program starts ends with it, on the process runtime as in a container:
// a `train` whose helper outlives it completes at once and leaves no helper; a `serve` that starts
// its server as a child passes local-test and leaves nothing; a training job stopped (StopTrainingJob,
// or at its max runtime) takes its children with it. And a model server that listens beyond
// 127.0.0.1 (0.0.0.0, as gunicorn and nginx are often told) is refused, not reported healthy.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CreateTrainingJobCommand, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { isProcessAlive } from '../../src/shared/process-alive.js';
import { putObjects, ROLE, startLocalRig, waitForJob } from '../rig/local-sagemaker.js';
import { destroyLocalTarget } from '../rig/local-target.js';
import { waitFor, withProject } from '../rig/project.js';
import { makeExecutable, PYTHON_CONTAINER, pythonPipelineYaml } from '../rig/python-container.js';

/** A shell `train` that leaves a helper behind, holding its output open, and says its pid. */
const TRAIN_WITH_HELPER = `#!/bin/sh
sleep 600 &
echo "helper $!" > "$OPT_ML/../helper.pid"
echo "helper $!"
echo '{}' > "$OPT_ML/model/model.json"
echo "trained"
`;

/** A shell `serve` that starts the real server as its child (no exec) and waits for it. */
const SERVE_AS_CHILD = `#!/bin/sh
python3 "$(dirname "$0")/server.py" &
echo "server $!" > "$OPT_ML/../server.pid"
wait
`;

async function pidsIn(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return [...text.matchAll(/\d+/g)].map((match) => Number(match[0]));
}

describe('the process runtime ends what a program started', () => {
  it('completes a training job whose helper outlives its train, and ends the helper', async () => {
    const rig = await startLocalRig();
    try {
      await rig.project.write({ 'images/helper/train': TRAIN_WITH_HELPER });
      await makeExecutableFile(rig.project.path('images/helper/train'));
      await putObjects(rig.s3, 'trees', { 'train/rows.csv': '1,2\n' });
      await rig.sagemaker.send(
        new CreateTrainingJobCommand(jobRequest('helper-job', rig.project.path('images', 'helper'))),
      );
      const job = await waitForJob(rig.sagemaker, 'helper-job', 30);
      assert.equal(job.TrainingJobStatus, 'Completed', job.FailureReason);
      const [helper] = await pidsIn(
        rig.project.path('.pipeline/local/sagemaker/training-jobs/helper-job/helper.pid'),
      );
      assert.ok(helper, 'the helper said its pid');
      await waitFor(async () => (isProcessAlive(helper) ? undefined : true), 'the helper to end');
    } finally {
      await rig.close();
    }
  });

  it('stops a training job with its children (StopTrainingJob)', async () => {
    const rig = await startLocalRig({ stopGraceSeconds: 1 });
    try {
      const holding = '#!/bin/sh\nsleep 600 &\necho "helper $!" > "$OPT_ML/../helper.pid"\nsleep 600\n';
      await rig.project.write({ 'images/holding/train': holding });
      await makeExecutableFile(rig.project.path('images/holding/train'));
      await putObjects(rig.s3, 'trees', { 'train/rows.csv': '1,2\n' });
      await rig.sagemaker.send(
        new CreateTrainingJobCommand(jobRequest('stopped-job', rig.project.path('images', 'holding'))),
      );
      const pidFile = rig.project.path('.pipeline/local/sagemaker/training-jobs/stopped-job/helper.pid');
      const [helper] = await waitFor(
        async () => ((await pidsIn(pidFile)).length > 0 ? pidsIn(pidFile) : undefined),
        'the job to start its helper',
        30,
      );
      await rig.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'stopped-job' }));
      const job = await waitForJob(rig.sagemaker, 'stopped-job', 30);
      assert.equal(job.TrainingJobStatus, 'Stopped');
      await waitFor(async () => (isProcessAlive(helper as number) ? undefined : true), 'the helper to end');
    } finally {
      await rig.close();
    }
  });

  it('passes local-test with a serve that starts its server as a child, and leaves nothing running', async () => {
    const server = PYTHON_CONTAINER['container/serve'] as string;
    await withProject(
      {
        'pipeline.yaml': pythonPipelineYaml('serve-child'),
        ...PYTHON_CONTAINER,
        'container/serve': SERVE_AS_CHILD,
        'container/server.py': server,
      },
      async (project) => {
        await makeExecutable(project);
        const result = await project.run(['run', '--to', 'local-test'], { real: true });
        assert.equal(result.exitCode, 0, result.stdout + result.stderr);
        const [child] = await pidsIn(project.path('.pipeline/local-test/server.pid'));
        assert.ok(child, 'the serve script said its child’s pid');
        assert.ok(!isProcessAlive(child), 'the server its serve started is gone');
      },
    );
  });

  it('refuses a model server that listens on every interface, in local-test and as an endpoint', async () => {
    const everywhere = (PYTHON_CONTAINER['container/serve'] as string).replace(
      "os.environ.get('PIPELINE_BIND_HOST', '0.0.0.0')",
      "'0.0.0.0'",
    );
    assert.notEqual(everywhere, PYTHON_CONTAINER['container/serve']);
    await withProject(
      {
        'pipeline.yaml': pythonPipelineYaml('binds-everywhere'),
        ...PYTHON_CONTAINER,
        'container/serve': everywhere,
      },
      async (project) => {
        await makeExecutable(project);
        try {
          const tested = await project.run(['run', '--to', 'local-test'], { real: true });
          assert.equal(tested.exitCode, 1, tested.stdout + tested.stderr);
          assert.match(tested.stderr, /the model server listens on 0\.0\.0\.0:\d+, beyond 127\.0\.0\.1/);
          const deployed = await project.run(['run', '--from', 'push'], { real: true });
          assert.equal(deployed.exitCode, 1, deployed.stdout + deployed.stderr);
          assert.match(deployed.stderr, /deploy[\s\S]*listens on 0\.0\.0\.0:\d+, beyond 127\.0\.0\.1/);
        } finally {
          await destroyLocalTarget(project);
        }
      },
    );
  });
});

async function makeExecutableFile(path: string): Promise<void> {
  const { chmod } = await import('node:fs/promises');
  await chmod(path, 0o755);
}

function jobRequest(name: string, imageDir: string) {
  return {
    TrainingJobName: name,
    RoleArn: ROLE,
    AlgorithmSpecification: {
      TrainingImage: pathToFileURL(imageDir).href,
      TrainingInputMode: 'File' as const,
    },
    InputDataConfig: [
      {
        ChannelName: 'train',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: 's3://trees/train/' } },
      },
    ],
    OutputDataConfig: { S3OutputPath: 's3://trees/output' },
    ResourceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1, VolumeSizeInGB: 1 },
    StoppingCondition: { MaxRuntimeInSeconds: 300 },
  };
}
