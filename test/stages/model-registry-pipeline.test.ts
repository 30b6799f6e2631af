// The model registry through the real CLI on the local target (process runtime): each run whose
// gates pass registers its model as the next version, waiting for approval; `pipeline approve` and
// `pipeline reject` decide; with deploy.requireApproval the endpoint serves the latest approved
// version, and the plan says when a newer one was approved.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DescribeEndpointCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
} from '@aws-sdk/client-sagemaker';
import { cleanUpExampleProject, freshExampleProject, localTargetOf } from '../rig/local-target.js';
import type { TestProject } from '../rig/project.js';

const RUN = ['run', '--set', 'runtime=process', '--set', 'localTest.hyperparameters.epochs=1'];
const epochs = (n: number) => ['--set', `training.hyperparameters.epochs=${n}`];
const APPROVED_ONLY = ['--set', 'deploy.requireApproval=true'];
const PACKAGE = (version: number) =>
  `arn:aws:sagemaker:us-east-1:000000000000:model-package/keras-example/${version}`;

describe('the model registry: registered when the gates pass, served once approved', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
    const yaml = (await project.read('pipeline.yaml')).replace(
      '    - accuracy >= 0.9\n',
      '    - accuracy >= 0.8\n',
    );
    await project.write({ 'pipeline.yaml': yaml });
  });
  after(() => cleanUpExampleProject(project));

  async function registry() {
    const target = await localTargetOf(project);
    try {
      const listed = await target.sagemaker.send(
        new ListModelPackagesCommand({ ModelPackageGroupName: 'keras-example', SortOrder: 'Ascending' }),
      );
      const endpoint = await target.sagemaker
        .send(new DescribeEndpointCommand({ EndpointName: 'keras-example' }))
        .catch(() => undefined);
      const model = endpoint?.EndpointConfigName
        ? await target.sagemaker.send(new DescribeModelCommand({ ModelName: endpoint.EndpointConfigName }))
        : undefined;
      const packages = await Promise.all(
        (listed.ModelPackageSummaryList ?? []).map((p) =>
          target.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: p.ModelPackageArn })),
        ),
      );
      return {
        versions: packages.map((p) => [p.ModelPackageVersion, p.ModelApprovalStatus]),
        packages,
        servedArtifact: model?.PrimaryContainer?.ModelDataUrl,
      };
    } finally {
      target.close();
    }
  }

  it('registers the model of a run whose gates pass, with its artifact, metrics and run, waiting for approval', async () => {
    const first = await project.run([...RUN, ...epochs(5)], { real: true });
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    assert.match(
      first.stdout,
      /registered as version 1 of keras-example, waiting for approval: `pipeline approve \S+`/,
    );
    const evaluated = await project.stageOutputs('evaluate');
    assert.equal(evaluated.modelPackageArn, PACKAGE(1));
    const { versions, packages } = await registry();
    assert.deepEqual(versions, [[1, 'PendingManualApproval']]);
    const [registered] = packages;
    const trained = await project.stageOutputs('train');
    assert.equal(registered?.InferenceSpecification?.Containers?.[0]?.ModelDataUrl, trained.modelArtifact);
    assert.equal(registered?.InferenceSpecification?.Containers?.[0]?.Image, trained.imageUri);
    assert.match(registered?.CustomerMetadataProperties?.['metric:accuracy'] ?? '', /^0\.\d+/);
    assert.match(
      registered?.ModelMetrics?.ModelQuality?.Statistics?.S3Uri ?? '',
      /\/registry\/.*\/metrics\.json$/,
    );

    const refused = await project.run([...RUN, ...epochs(5), ...APPROVED_ONLY], { real: true });
    assert.equal(refused.exitCode, 1);
    assert.match(
      refused.stderr,
      /deploy\.requireApproval: no version of keras-example is approved in the model registry/,
    );
  });

  it('serves the latest approved version where approval is required, and notices a newer one', async () => {
    const approve = await project.run(['approve', 'last~1', '--reason', 'reviewed in pull request 7'], {
      real: true,
    });
    assert.equal(approve.exitCode, 0, approve.stderr);
    assert.match(approve.stdout, /version 1 \(run \S+\): Approved/);
    const served = await project.run([...RUN, ...epochs(5), ...APPROVED_ONLY], { real: true });
    assert.equal(served.exitCode, 0, served.stdout + served.stderr);
    assert.match(served.stdout, /serving version 1 of keras-example, approved/);
    let state = await registry();
    assert.equal(state.packages[0]?.ApprovalDescription, 'reviewed in pull request 7');
    assert.equal(
      state.servedArtifact,
      state.packages[0]?.InferenceSpecification?.Containers?.[0]?.ModelDataUrl,
    );

    // A new model, where approval is not required: registered as version 2, pending.
    const trainedAgain = await project.run([...RUN, ...epochs(6)], { real: true });
    assert.equal(trainedAgain.exitCode, 0, trainedAgain.stderr);
    const secondRun = ((await project.lastRunRecord()) as unknown as { id: string }).id;
    state = await registry();
    assert.deepEqual(state.versions, [
      [1, 'Approved'],
      [2, 'PendingManualApproval'],
    ]);
    const stillOne = await project.run(['plan', ...RUN.slice(1), ...epochs(6), ...APPROVED_ONLY], {
      real: true,
    });
    assert.match(stillOne.stdout, /deploy\s+run\s+/, 'deploy.requireApproval changed back: deploy runs');
    await project.run([...RUN, ...epochs(6), ...APPROVED_ONLY], { real: true });
    assert.match(
      (await project.stageOutputs('deploy')).modelPackageArn,
      /\/1$/,
      'version 2 waits for approval',
    );

    assert.equal((await project.run(['approve', secondRun], { real: true })).exitCode, 0);
    const newer = await project.run(['plan', ...RUN.slice(1), ...epochs(6), ...APPROVED_ONLY], {
      real: true,
    });
    assert.match(
      newer.stdout,
      /deploy\s+run\s+version 2 of keras-example is the latest approved; the endpoint serves version 1/,
    );
    const upgraded = await project.run([...RUN, ...epochs(6), ...APPROVED_ONLY], { real: true });
    assert.equal(upgraded.exitCode, 0, upgraded.stderr);
    assert.match(upgraded.stdout, /serving version 2 of keras-example/);

    const rejected = await project.run(['reject', secondRun, '--reason', 'worse on the holdout set'], {
      real: true,
    });
    assert.equal(rejected.exitCode, 0, rejected.stderr);
    const back = await project.run(['plan', ...RUN.slice(1), ...epochs(6), ...APPROVED_ONLY], { real: true });
    assert.match(
      back.stdout,
      /deploy\s+run\s+version 1 of keras-example is the latest approved; the endpoint serves version 2/,
    );
  });

  it('says when a run registered nothing', async () => {
    const failed = await project.run(['approve', 'last'], { real: true });
    assert.equal(failed.exitCode, 2);
    assert.match(failed.stderr, /run \S+ registered no model: a run registers its model when its gates pass/);
  });
});
