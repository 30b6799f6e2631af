// push, upload, train, deploy and invoke through the real `pipeline` CLI on the local target:
// the background local SageMaker, its S3, real training jobs and endpoints, no AWS account. The
// example with its channels as local folders, so that the upload stage sends them.
import assert from 'node:assert/strict';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  ListTrainingJobsCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { cleanUpExampleProject, freshExampleProject, isAlive, localTargetOf } from '../rig/local-target.js';
import { type TestProject, waitFor } from '../rig/project.js';
import { listeningSockets, newListeners } from '../rig/sockets.js';

const PROCESS = ['--set', 'runtime=process'];
const QUICK = ['--set', 'training.hyperparameters.epochs=5'];

describe('the cloud stages on the local target (process runtime)', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject('paths');
    // The replace strategy's deploy: each new model takes the endpoint alone (the gated default,
    // a candidate beside the serving model, has a suite of its own: gated-deploy.test.ts).
    const yaml = (await project.read('pipeline.yaml')).replace(
      '  instanceCount: 1\n\ninvoke:',
      '  instanceCount: 1\n  strategy: replace\n\ninvoke:',
    );
    assert.match(yaml, /strategy: replace/);
    await project.write({ 'pipeline.yaml': yaml });
  });
  after(() => cleanUpExampleProject(project));

  it('runs build to invoke on a fresh project, with no AWS account and no docker engine', async () => {
    const socketsBefore = await listeningSockets();
    const result = await project.run(['run', '--to', 'invoke', ...PROCESS, ...QUICK], { real: true });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.deepEqual(await project.stagesRan(), [
      'build',
      'local-test',
      'push',
      'upload',
      'train',
      'deploy',
      'invoke',
    ]);
    const push = await project.stageOutputs('push');
    assert.match(push.imageUri, /^file:\/\//);
    const upload = await project.stageOutputs('upload');
    assert.equal(upload.channels.training.s3Uri, 's3://keras-example-artifacts/keras-example/training/');
    const train = await project.stageOutputs('train');
    assert.match(train.jobName, /^keras-example-\d{8}-\d{6}-[0-9a-f]{4}$/);
    assert.ok(train.jobName.length <= 63);
    assert.match(
      train.modelArtifact,
      /^s3:\/\/keras-example-artifacts\/keras-example\/output\/.*\/output\/model\.tar\.gz$/,
    );
    assert.ok(train.finalMetrics.accuracy > 0.5, JSON.stringify(train.finalMetrics));
    assert.match(result.stdout, /epoch=5 loss=/, 'the job log is streamed into the progress output');
    assert.match(result.stdout, /\[Training\]/, 'SecondaryStatus transitions are shown');
    // In CI a waiting step prints a line when it changes, not one per second of waiting.
    const titles = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('[TITLE]'))
      .map((line) => line.replace(/^\[TITLE\] \[[^\]]+\] /, '').replace(/\(\d+s\)/g, ''));
    const repeated = titles.filter((title, index) => index > 0 && title === titles[index - 1]);
    assert.deepEqual(repeated, [], 'no step line repeats with only its seconds changed');

    const invoke = await project.stageOutputs('invoke');
    assert.equal(invoke.rows, 15);
    // The local SageMaker, its S3 and the endpoint's server: all on loopback only.
    const listeners = await newListeners(socketsBefore);
    assert.deepEqual(listeners.exposed, [], `listening beyond loopback: ${listeners.exposed}`);
    assert.ok(
      listeners.added.length >= 3,
      `expected the local SageMaker, S3 and endpoint: ${listeners.added}`,
    );
    const predictions = (await project.read(invoke.report.predictionsFile)).trim().split('\n');
    assert.equal(predictions.length, 15);
    for (const line of predictions) assert.match(line, /^[0-9.e-]+,[0-9.e-]+$/);

    const local = await localTargetOf(project);
    try {
      const jobs = await local.sagemaker.send(new ListTrainingJobsCommand({}));
      assert.equal(jobs.TrainingJobSummaries?.length, 1);
      const endpoints = await local.sagemaker.send(new ListEndpointsCommand({}));
      assert.deepEqual(
        endpoints.Endpoints?.map((e) => [e.EndpointName, e.EndpointStatus]),
        [['keras-example', 'InService']],
      );
    } finally {
      local.close();
    }
  });

  it('runs nothing the second time', async () => {
    const result = await project.run(['run', '--to', 'invoke', ...PROCESS, ...QUICK], { real: true });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.deepEqual(await project.stagesRan(), []);
  });

  it('reports a deployment that fails its health check, and the endpoint keeps serving the old model', async () => {
    const local = await localTargetOf(project);
    try {
      const before = await local.sagemaker.send(
        new DescribeEndpointCommand({ EndpointName: 'keras-example' }),
      );
      // The example's server refuses an unknown engine, so the new deployment never answers /ping.
      const bad = ['--set', 'deploy.environment.SERVING_ENGINE=bogus'];
      const result = await project.run(['run', '--to', 'deploy', ...PROCESS, ...QUICK, ...bad], {
        real: true,
      });
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /did not deploy/);
      assert.match(result.stderr, new RegExp(`still serves ${before.EndpointConfigName}`));
      const after = await local.sagemaker.send(
        new DescribeEndpointCommand({ EndpointName: 'keras-example' }),
      );
      assert.equal(after.EndpointStatus, 'InService');
      assert.equal(after.EndpointConfigName, before.EndpointConfigName, 'not deleted, not replaced');
      assert.match(after.FailureReason ?? '', /SERVING_ENGINE must be/);
      const answer = await local.runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'keras-example',
          Body: '1,2\n',
          ContentType: 'text/csv',
        }),
      );
      assert.equal(new TextDecoder().decode(answer.Body).trim().split('\n').length, 1);
      // Back to the settings that are deployed: nothing to do.
      const again = await project.run(['run', '--to', 'invoke', ...PROCESS, ...QUICK], { real: true });
      assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    } finally {
      local.close();
    }
  });

  it('re-runs train, deploy and invoke only for a hyperparameter change, and updates the endpoint in place', async () => {
    const local = await localTargetOf(project);
    try {
      const previous = await project.stageOutputs('deploy');
      const result = await project.run(
        ['run', '--to', 'invoke', ...PROCESS, '--set', 'training.hyperparameters.epochs=6'],
        { real: true },
      );
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      assert.deepEqual(await project.stagesRan(), ['train', 'deploy', 'invoke']);
      assert.match(result.stdout, /updating the endpoint keras-example/);
      const deployed = await project.stageOutputs('deploy');
      assert.equal(deployed.endpointName, 'keras-example');
      assert.notEqual(deployed.deploymentName, previous.deploymentName);
      const endpoint = await local.sagemaker.send(
        new DescribeEndpointCommand({ EndpointName: 'keras-example' }),
      );
      assert.equal(endpoint.EndpointConfigName, deployed.deploymentName);
      assert.equal(endpoint.EndpointArn, previous.endpointArn, 'the same endpoint, updated');
      // What the update superseded is gone.
      await assert.rejects(
        local.sagemaker.send(new DescribeModelCommand({ ModelName: previous.deploymentName })),
        {
          name: 'ValidationException',
        },
      );
      const jobs = await local.sagemaker.send(new ListTrainingJobsCommand({}));
      assert.equal(jobs.TrainingJobSummaries?.length, 2);
    } finally {
      local.close();
    }
  });

  it('re-sends nothing when the data is unchanged, and only the changed file when one changes', async () => {
    const forced = await project.run(['run', '--only', 'upload', '--force', ...PROCESS, ...QUICK], {
      real: true,
    });
    assert.equal(forced.exitCode, 0, forced.stderr);
    const unchanged = await project.stageOutputs('upload');
    assert.equal(unchanged.report.bytesSent, 0);
    assert.equal(unchanged.report.filesSent, 0);

    const file = project.path('context/input/data/validation/testset.csv');
    const before = (await readFile(file)).length;
    const row = '5.0000e+00,5.0000e+00,0.0000e+00,1.0000e+00\n';
    await appendFile(file, row);
    const changed = await project.run(['run', '--only', 'upload', ...PROCESS, ...QUICK], { real: true });
    assert.equal(changed.exitCode, 0, changed.stderr);
    const sent = (await project.stageOutputs('upload')).report;
    assert.equal(sent.filesSent, 1);
    assert.equal(sent.bytesSent, before + row.length);

    const local = await localTargetOf(project);
    try {
      const objects = await local.s3.send(
        new ListObjectsV2Command({ Bucket: 'keras-example-artifacts', Prefix: 'keras-example/validation/' }),
      );
      assert.deepEqual(
        objects.Contents?.map((o) => [o.Key, o.Size]),
        [['keras-example/validation/testset.csv', before + row.length]],
      );
    } finally {
      local.close();
    }
  });

  it('evaluates, and a missed gate fails the run with exit 1, naming the gate and keeping the report', async () => {
    const result = await project.run(
      [
        'run',
        ...PROCESS,
        '--set',
        'training.hyperparameters.epochs=6',
        '--set',
        'evaluate.gates=["accuracy >= 0.5", "macro_f1 > 0.999"]',
      ],
      { real: true },
    );
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    // The validation data changed in the test before: the model is retrained on it first.
    assert.deepEqual(await project.stagesRan(), ['local-test', 'train', 'deploy', 'invoke']);
    assert.equal((await project.lastRunRecord()).stages.evaluate?.action, 'failed');
    assert.match(
      result.stderr,
      /stage evaluate failed: gate "macro_f1 > 0\.999" missed: macro_f1 is [0-9.]+, [0-9.]+ short/,
    );
    const report = result.stderr.match(/The report: (\S+)/)?.[1];
    assert.ok(report, result.stderr);
    assert.match(await project.read(report), /<svg class="chart confusion"/);
    const summary = await project.read(report.replace('report.html', 'summary.md'));
    assert.match(summary, /❌ `macro_f1 > 0\.999`/);
    assert.match(summary, /✅ `accuracy >= 0\.5`/);
    assert.match(summary, /No earlier run evaluated\./);
    assert.match(
      result.stdout,
      /\nMetrics {2}accuracy [0-9.]+ · macro_f1 [0-9.]+ .*\(the first evaluation\)\n/,
    );

    // The next evaluation (the gate eased) is compared with this one, as `runs` and `diff` compare
    // them, and says that its gates were missed; the run's summary ends with the metrics' changes
    // and the report.
    const next = await project.run(
      [
        'run',
        ...PROCESS,
        '--set',
        'training.hyperparameters.epochs=6',
        '--set',
        'evaluate.gates=["accuracy >= 0.5"]',
      ],
      { real: true },
    );
    assert.equal(next.exitCode, 0, next.stdout + next.stderr);
    assert.deepEqual(await project.stagesRan(), ['evaluate']);
    const failedRun = summary.match(/run `([^`]+)`/)?.[1] as string;
    const nextReport = next.stdout.match(/\nReport {3}(\S+report\.html)(\n|$)/)?.[1];
    assert.ok(nextReport, next.stdout);
    const nextSummary = await project.read(nextReport.replace('report.html', 'summary.md'));
    assert.ok(
      nextSummary.includes(
        `Compared with run \`${failedRun}\` (gates missed), the latest earlier run that evaluated.`,
      ),
      nextSummary,
    );
    assert.ok(
      nextSummary.includes(
        '| `evaluate.gates` | `["accuracy >= 0.5","macro_f1 > 0.999"]` | `["accuracy >= 0.5"]` |',
      ),
      nextSummary,
    );
    assert.match(next.stdout, /\nMetrics {2}accuracy [0-9.]+ \(\+0\.0000\) · macro_f1 [0-9.]+ \(\+0\.0000\)/);
    assert.ok(next.stdout.includes(`(since run ${failedRun} (gates missed))`), next.stdout);
  });

  it('says what to do when the predictions evaluate needs were deleted with the run records', async () => {
    await rm(project.path('.pipeline', 'runs'), { recursive: true, force: true });
    const result = await project.run(['run', '--from', 'evaluate', '--force', ...PROCESS], { real: true });
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /the predictions of the last invoke \(.*predictions\.txt\) are gone: run `pipeline run --from invoke`/,
    );
    assert.doesNotMatch(result.stderr, /ENOENT/);
  });

  it('notices an endpoint deleted outside pipeline: plan and status say so, run deploys it again', async () => {
    const settings = [...PROCESS, '--set', 'training.hyperparameters.epochs=6'];
    const local = await localTargetOf(project);
    try {
      await local.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'keras-example' }));
      await waitFor(
        () =>
          local.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'keras-example' })).then(
            () => undefined,
            () => true,
          ),
        'the endpoint to be gone',
      );
    } finally {
      local.close();
    }
    const plan = await project.run(['plan', ...settings], { real: true });
    assert.match(plan.stdout, /deploy\s+run\s+endpoint keras-example no longer exists/, plan.stdout);
    assert.match(plan.stdout, /train\s+skip/, plan.stdout);
    const trusting = await project.run(['plan', '--no-refresh', ...settings], { real: true });
    assert.match(trusting.stdout, /deploy\s+skip/, '--no-refresh trusts the state');
    const status = await project.run(['status', ...settings], { real: true });
    assert.match(status.stdout, /deploy\s+stale .*endpoint keras-example no longer exists/, status.stdout);
    const run = await project.run(['run', '--to', 'invoke', ...settings], { real: true });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.deepEqual(await project.stagesRan(), ['deploy', 'invoke']);
    const again = await project.run(['plan', '--to', 'invoke', ...settings], { real: true });
    assert.doesNotMatch(again.stdout, /deploy\s+run/, again.stdout);
  });

  it('notices a channel’s data deleted outside pipeline: plan says upload must run and why', async () => {
    const settings = [...PROCESS, '--set', 'training.hyperparameters.epochs=6'];
    const local = await localTargetOf(project);
    try {
      await local.s3.send(
        new DeleteObjectCommand({
          Bucket: 'keras-example-artifacts',
          Key: 'keras-example/validation/testset.csv',
        }),
      );
    } finally {
      local.close();
    }
    const plan = await project.run(['plan', ...settings], { real: true });
    assert.match(
      plan.stdout,
      /upload\s+run\s+channel validation: no objects are left under s3:\/\/keras-example-artifacts\/keras-example\/validation\//,
      plan.stdout,
    );
    const run = await project.run(['run', '--only', 'upload', ...settings], { real: true });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal((await project.stageOutputs('upload')).report.filesSent, 1, 'the deleted file, sent again');
    const again = await project.run(['plan', ...settings], { real: true });
    assert.match(again.stdout, /upload\s+skip/, again.stdout);
    // Replaced behind its back with other bytes: the listing differs from the upload's receipt.
    const other = await localTargetOf(project);
    try {
      await other.s3.send(
        new PutObjectCommand({
          Bucket: 'keras-example-artifacts',
          Key: 'keras-example/validation/testset.csv',
          Body: '1,2,3,4\n',
        }),
      );
    } finally {
      other.close();
    }
    const replaced = await project.run(['plan', ...settings], { real: true });
    assert.match(
      replaced.stdout,
      /upload\s+run\s+channel validation: the objects under .* are not as the last upload left them/,
      replaced.stdout,
    );
    const restored = await project.run(['run', '--only', 'upload', ...settings], { real: true });
    assert.equal(restored.exitCode, 0, restored.stdout + restored.stderr);
  });

  it('destroy asks first, then deletes what the pipeline created and stops the local SageMaker', async () => {
    const { pid } = (await localTargetOf(project)).facts;
    const asked = await project.run(['destroy'], { real: true });
    assert.equal(asked.exitCode, 2);
    assert.match(asked.stderr, /endpoint keras-example/);
    assert.match(asked.stderr, /pass --yes/);
    assert.ok(isAlive(pid));

    const destroyed = await project.run(['destroy', '--yes'], { real: true });
    assert.equal(destroyed.exitCode, 0, destroyed.stderr);
    assert.match(destroyed.stdout, /endpoint keras-example/);
    assert.ok(!isAlive(pid), 'the local SageMaker stopped');
    const status = await project.run(
      ['plan', '--to', 'invoke', ...PROCESS, '--set', 'training.hyperparameters.epochs=6'],
      {
        real: true,
      },
    );
    // The endpoint is gone, so the deploy stage counts as never run.
    assert.match(status.stdout, /deploy\s+run\s+first run/);
    assert.match(status.stdout, /invoke\s+run\s+first run/);
    const again = await project.run(['destroy', '--yes'], { real: true });
    assert.match(again.stdout, /Nothing to destroy/);
  });
});
