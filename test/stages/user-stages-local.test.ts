// User stages on the local target, through the real CLI (process runtime): a command makes the raw
// rows, the example's processing job splits them, and the training job reads the job's S3 output
// where it is. What re-runs after each kind of change, and why; and a processing job that
// outlives a kill -9 of the run that started it, re-attached to by the next run.
import assert from 'node:assert/strict';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  ListProcessingJobsCommand,
} from '@aws-sdk/client-sagemaker';
import { addGatherStage } from '../rig/example-model.js';
import {
  cleanUpExampleProject,
  destroyLocalTarget,
  freshExampleProject,
  localTargetOf,
} from '../rig/local-target.js';
import { BASE_CONFIG, TestProject, waitFor } from '../rig/project.js';

const ARGS = ['--set', 'runtime=process', '--set', 'training.hyperparameters.epochs=3'];

describe('user stages on the local target', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
    await addGatherStage(project);
  });
  after(() => cleanUpExampleProject(project));

  it('runs command → processing → train, the job reading the processing output in S3', async () => {
    const first = await project.run(['run', '--to', 'train', ...ARGS], { real: true });
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    assert.deepEqual(await project.stagesRan(), [
      'gather',
      'build',
      'local-test',
      'push',
      'prepare',
      'upload',
      'train',
    ]);
    assert.match(first.stdout, /split 20000 rows: 16000 for training, 4000 for validation \(seed 1\)/);

    const prepared = await project.stageOutputs('prepare');
    const trained = await project.stageOutputs('train');
    const target = await localTargetOf(project);
    try {
      const job = await target.sagemaker.send(
        new DescribeTrainingJobCommand({ TrainingJobName: trained.jobName }),
      );
      const uris = Object.fromEntries(
        (job.InputDataConfig ?? []).map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3Uri]),
      );
      assert.deepEqual(uris, {
        training: prepared.outs.training.s3Uri,
        validation: prepared.outs.validation.s3Uri,
      });
      assert.match(
        prepared.outs.training.s3Uri,
        /^s3:\/\/keras-example-artifacts\/keras-example\/processing\/prepare\/keras-example-prepare-[0-9-a-f]+\/training$/,
      );
      const processing = await target.sagemaker.send(
        new DescribeProcessingJobCommand({ ProcessingJobName: prepared.jobName }),
      );
      assert.equal(processing.ProcessingJobStatus, 'Completed');
      assert.equal(processing.AppSpecification?.ContainerEntrypoint?.[0], 'process');
      assert.equal(processing.Environment?.PIPELINE_PARAMS, '{"validation_fraction":0.2,"seed":1}');
      assert.match(
        processing.ProcessingInputs?.[0]?.S3Input?.S3Uri ?? '',
        /\/processing\/prepare\/input\/raw\/$/,
      );
    } finally {
      target.close();
    }

    const again = await project.run(['plan', '--to', 'train', ...ARGS], { real: true });
    assert.match(again.stdout, /Nothing to run: every stage is up to date/, again.stdout);
    await writeFile(project.path('README.txt'), 'a file no stage reads\n');
    await project.run(['run', '--to', 'train', ...ARGS], { real: true });
    assert.deepEqual(await project.stagesRan(), []);
  });

  it('re-runs the chain and train after a changed dep, its stage after a param, the maker of a deleted out', async () => {
    await writeFile(
      project.path('gather.sh'),
      'mkdir -p data/raw\nhead -n 18000 context/input/data/training/trainset.csv > data/raw/rows.csv\n',
    );
    const depPlan = await project.run(['plan', '--to', 'train', ...ARGS], { real: true });
    assert.match(depPlan.stdout, /gather\s+run\s+gather\.sh modified/);
    assert.match(depPlan.stdout, /prepare\s+run\s+gather runs first/);
    assert.match(depPlan.stdout, /train\s+run\s+prepare runs first/);
    const byDep = await project.run(['run', '--to', 'train', ...ARGS], { real: true });
    assert.equal(byDep.exitCode, 0, byDep.stderr);
    assert.deepEqual(await project.stagesRan(), ['gather', 'prepare', 'train']);
    assert.match(byDep.stdout, /split 18000 rows/);

    const params = [...ARGS, '--set', 'stages.prepare.params.validation_fraction=0.25'];
    const paramPlan = await project.run(['plan', '--to', 'train', ...params], { real: true });
    assert.match(
      paramPlan.stdout,
      /prepare\s+run\s+stages\.prepare\.params\.validation_fraction: 0\.2 → 0\.25/,
    );
    assert.match(paramPlan.stdout, /gather\s+skip/);
    await project.run(['run', '--to', 'train', ...params], { real: true });
    assert.deepEqual(await project.stagesRan(), ['prepare', 'train']);

    await rm(project.path('data/raw'), { recursive: true });
    const gonePlan = await project.run(['plan', '--to', 'train', ...params], { real: true });
    assert.match(gonePlan.stdout, /gather\s+run\s+its out rows \(data\/raw\) is gone/);
    await project.run(['run', '--to', 'train', ...params], { real: true });
    // Made again the same: what reads it is up to date with it.
    assert.deepEqual(await project.stagesRan(), ['gather']);

    // An object of the job's output deleted in S3, behind the pipeline's back: prepare runs again.
    const { outs } = await project.stageOutputs('prepare');
    const target = await localTargetOf(project);
    try {
      const [, bucket, key] = /^s3:\/\/([^/]+)\/(.*)$/.exec(outs.training.s3Uri) ?? [];
      await target.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${key}/train.csv` }));
    } finally {
      target.close();
    }
    const deletedPlan = await project.run(['plan', '--to', 'train', ...params], { real: true });
    assert.match(
      deletedPlan.stdout,
      /prepare\s+run\s+its output training: no objects are left under s3:\/\/keras-example-artifacts\/keras-example\/processing\/prepare\//,
    );
    await project.run(['run', '--to', 'train', ...params], { real: true });
    assert.deepEqual(await project.stagesRan(), ['prepare', 'train']);
    assert.equal((await readFile(project.path('data/raw/rows.csv'), 'utf8')).split('\n').length, 18001);
  });
});

describe('a processing job and a kill -9 of its run', () => {
  let project: TestProject;
  before(async () => {
    project = await TestProject.create({
      'pipeline.yaml': `${BASE_CONFIG}stages:
  slow:
    processing:
      image: PROGRAM
      outputs: { done: {} }
      environment:
        BARRIER: BARRIER_FILE
`,
      // A program folder whose process program waits until the test lets it finish.
      'slow-program/process':
        '#!/bin/sh\nwhile [ ! -f "$BARRIER" ]; do sleep 0.05; done\nmkdir -p "$OPT_ML/processing/output/done"\necho finished > "$OPT_ML/processing/output/done/marker.txt"\necho the job finished\n',
    });
    await chmod(project.path('slow-program/process'), 0o755);
    const yaml = (await project.read('pipeline.yaml'))
      .replace('PROGRAM', `file://${project.path('slow-program')}`)
      .replace('BARRIER_FILE', project.path('barrier'));
    await project.write({ 'pipeline.yaml': yaml });
  });
  after(async () => {
    try {
      await destroyLocalTarget(project);
    } finally {
      await project.remove();
    }
  });

  it('re-attaches the next run to the same job: one job for one change', async () => {
    const killed = project.spawn(['run', '--only', 'slow'], { real: true });
    const jobName = await waitFor(
      async () => (await project.savedHandle('slow'))?.jobName,
      'the job name saved',
      60,
    );
    const target = await localTargetOf(project);
    let resumed: ReturnType<TestProject['spawn']> | undefined;
    try {
      await waitFor(
        async () => {
          // The name is saved before the job is created: until then, there is no job to describe.
          const job = await target.sagemaker
            .send(new DescribeProcessingJobCommand({ ProcessingJobName: jobName }))
            .catch(() => undefined);
          return job?.ProcessingJobStatus === 'InProgress' || undefined;
        },
        'the job to be in progress',
        60,
      );
      killed.kill('SIGKILL');
      await killed;

      resumed = project.spawn(['run', '--only', 'slow'], { real: true });
      let output = '';
      resumed.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      await waitFor(
        async () => output.includes(`re-attaching to the processing job ${jobName}`) || undefined,
        'the re-attach',
        60,
      );
      await writeFile(project.path('barrier'), '');
      const result = await resumed;
      assert.equal(result.exitCode, 0, output + String(result.stderr));
      assert.match(output, /the job finished/);
      const outputs = await project.stageOutputs('slow');
      assert.equal(outputs.jobName, jobName);
      const listed = await target.sagemaker.send(new ListProcessingJobsCommand({}));
      assert.deepEqual(
        listed.ProcessingJobSummaries?.map((job) => job.ProcessingJobName),
        [jobName],
      );
    } finally {
      target.close();
      // Whatever failed, no run is left holding the lock the clean-up needs.
      await writeFile(project.path('barrier'), '');
      killed.kill('SIGKILL');
      await resumed;
    }
  });
});
