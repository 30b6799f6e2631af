// The local SageMaker's model registry, through the AWS SDK, raw requests checked against AWS's
// model, and the aws CLI: model package groups and the versions registered in them, approval,
// the List filters, and what it refuses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateModelPackageCommand,
  type CreateModelPackageCommandInput,
  CreateModelPackageGroupCommand,
  DeleteModelPackageCommand,
  DeleteModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { AWS_CLI_ENV, awsCliAvailable } from '../rig/aws-cli.js';
import { callChecked, type LocalRig, startLocalRig } from '../rig/local-sagemaker.js';

const GROUP = 'keras-example';
const GROUP_ARN = `arn:aws:sagemaker:us-east-1:000000000000:model-package-group/${GROUP}`;

const version = (
  approval?: 'Approved' | 'Rejected' | 'PendingManualApproval',
): CreateModelPackageCommandInput => ({
  ModelPackageGroupName: GROUP,
  ModelPackageDescription: 'run 20261207T100000.000Z-abcd',
  InferenceSpecification: {
    Containers: [
      {
        Image: `000000000000.dkr.ecr.us-east-1.amazonaws.com/keras-example@sha256:${'a'.repeat(64)}`,
        ModelDataUrl: 's3://keras-example-artifacts/keras-example/output/job/output/model.tar.gz',
        Environment: { SERVING_ENGINE: 'kernel' },
      },
    ],
    SupportedContentTypes: ['text/csv'],
    SupportedResponseMIMETypes: ['text/csv'],
    SupportedRealtimeInferenceInstanceTypes: ['ml.m5.large'],
    SupportedTransformInstanceTypes: ['ml.m5.large'],
  },
  ModelMetrics: {
    ModelQuality: {
      Statistics: { ContentType: 'application/json', S3Uri: 's3://keras-example-artifacts/metrics.json' },
    },
  },
  MetadataProperties: { CommitId: '0123456789abcdef', Repository: 'git@example.com:team/model.git' },
  CustomerMetadataProperties: { runId: '20261207T100000.000Z-abcd', accuracy: '0.9333' },
  Tags: [{ Key: 'pipeline', Value: GROUP }],
  ...(approval ? { ModelApprovalStatus: approval } : {}),
});

describe('the local SageMaker model registry', () => {
  let rig: LocalRig;
  before(async () => {
    rig = await startLocalRig();
  });
  after(() => rig.close());

  it('keeps a group, refuses a second of its name, and answers in the model’s shapes', async () => {
    const made = await rig.sagemaker.send(
      new CreateModelPackageGroupCommand({
        ModelPackageGroupName: GROUP,
        ModelPackageGroupDescription: 'the example model, one version per run that passed its gates',
        Tags: [{ Key: 'team', Value: 'ml' }],
      }),
    );
    assert.equal(made.ModelPackageGroupArn, GROUP_ARN);
    const described = await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeModelPackageGroup', {
      ModelPackageGroupName: GROUP,
    });
    assert.equal(described.ModelPackageGroupStatus, 'Completed');
    assert.equal(described.LatestVersion, undefined, 'no member of the store leaks into the answer');
    const byArn = await rig.sagemaker.send(
      new DescribeModelPackageGroupCommand({ ModelPackageGroupName: GROUP_ARN }),
    );
    assert.equal(byArn.ModelPackageGroupName, GROUP);
    await assert.rejects(
      rig.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP })),
      (error: Error) => error.name === 'ValidationException' && /already exists/.test(error.message),
    );
    await assert.rejects(
      rig.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'nowhere' })),
      /ModelPackageGroup arn:aws:sagemaker:us-east-1:000000000000:model-package-group\/nowhere does not exist/,
    );
    const tags = await rig.sagemaker.send(new ListTagsCommand({ ResourceArn: GROUP_ARN }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'ml' }]);
    await rig.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'other-model' }));
    const groups = await callChecked(rig.server.endpoint, 'sagemaker', 'ListModelPackageGroups', {
      NameContains: 'keras',
      SortBy: 'Name',
      SortOrder: 'Ascending',
      CreationTimeAfter: 0,
      CreationTimeBefore: Date.now() / 1000 + 60,
    });
    assert.deepEqual(
      (groups.ModelPackageGroupSummaryList as { ModelPackageGroupName: string }[]).map(
        (g) => g.ModelPackageGroupName,
      ),
      [GROUP],
    );
  });

  it('registers versions 1, 2, …, pending approval unless told, and retries a create by its ClientToken', async () => {
    const first = await rig.sagemaker.send(new CreateModelPackageCommand(version()));
    assert.equal(first.ModelPackageArn, `arn:aws:sagemaker:us-east-1:000000000000:model-package/${GROUP}/1`);
    const token = { ...version('Approved'), ClientToken: 'retry-me' };
    const second = await rig.sagemaker.send(new CreateModelPackageCommand(token));
    const retried = await rig.sagemaker.send(new CreateModelPackageCommand(token));
    assert.equal(second.ModelPackageArn, `arn:aws:sagemaker:us-east-1:000000000000:model-package/${GROUP}/2`);
    assert.equal(retried.ModelPackageArn, second.ModelPackageArn, 'the same ClientToken: the same version');

    const described = await callChecked(rig.server.endpoint, 'sagemaker', 'DescribeModelPackage', {
      ModelPackageName: first.ModelPackageArn,
    });
    assert.equal(described.ModelPackageVersion, 1);
    assert.equal(described.ModelPackageName, GROUP);
    assert.equal(described.ModelApprovalStatus, 'PendingManualApproval');
    assert.equal(described.ModelPackageStatus, 'Completed');
    assert.deepEqual(described.CustomerMetadataProperties, {
      runId: '20261207T100000.000Z-abcd',
      accuracy: '0.9333',
    });
    assert.deepEqual(described.InferenceSpecification, version().InferenceSpecification);
    assert.deepEqual(described.ModelMetrics, version().ModelMetrics);
    assert.deepEqual(described.MetadataProperties, version().MetadataProperties);
    assert.equal(described.ClientToken, undefined);
    await assert.rejects(
      rig.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: GROUP })),
      /a versioned model package is named by its ARN/,
    );

    const listed = await callChecked(rig.server.endpoint, 'sagemaker', 'ListModelPackages', {
      ModelPackageGroupName: GROUP,
      SortBy: 'CreationTime',
      SortOrder: 'Ascending',
    });
    assert.deepEqual(
      (listed.ModelPackageSummaryList as { ModelPackageVersion: number; ModelApprovalStatus: string }[]).map(
        (p) => [p.ModelPackageVersion, p.ModelApprovalStatus],
      ),
      [
        [1, 'PendingManualApproval'],
        [2, 'Approved'],
      ],
    );
    const approved = await rig.sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: GROUP_ARN, ModelApprovalStatus: 'Approved' }),
    );
    assert.deepEqual(
      approved.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion),
      [2],
    );
    const paged = await rig.sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: GROUP, MaxResults: 1, SortOrder: 'Descending' }),
    );
    assert.deepEqual(
      paged.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion),
      [2],
    );
    const next = await rig.sagemaker.send(
      new ListModelPackagesCommand({
        ModelPackageGroupName: GROUP,
        MaxResults: 1,
        SortOrder: 'Descending',
        NextToken: paged.NextToken,
      }),
    );
    assert.deepEqual(
      next.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion),
      [1],
    );
    // Without a group, the unversioned packages (SageMaker's default ModelPackageType): none here.
    const unversioned = await rig.sagemaker.send(new ListModelPackagesCommand({}));
    assert.deepEqual(unversioned.ModelPackageSummaryList, []);
    const both = await rig.sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageType: 'Both', NameContains: 'keras' }),
    );
    assert.equal(both.ModelPackageSummaryList?.length, 2);
  });

  it('approves and rejects a version, with its description and metadata, and deletes as SageMaker does', async (t) => {
    const arn = `arn:aws:sagemaker:us-east-1:000000000000:model-package/${GROUP}/1`;
    const updated = await rig.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: arn,
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: 'approved in the prod environment of pull request 42',
        CustomerMetadataProperties: { approvedBy: 'release-bot' },
        CustomerMetadataPropertiesToRemove: ['accuracy'],
      }),
    );
    assert.equal(updated.ModelPackageArn, arn);
    const described = await rig.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    assert.equal(described.ModelApprovalStatus, 'Approved');
    assert.equal(described.ApprovalDescription, 'approved in the prod environment of pull request 42');
    assert.deepEqual(described.CustomerMetadataProperties, {
      runId: '20261207T100000.000Z-abcd',
      approvedBy: 'release-bot',
    });
    assert.ok(described.LastModifiedTime instanceof Date);

    if (await awsCliAvailable(t)) {
      const rejected = await execa(
        'aws',
        [
          '--endpoint-url',
          rig.server.endpoint,
          'sagemaker',
          'update-model-package',
          '--model-package-arn',
          arn,
          '--model-approval-status',
          'Rejected',
        ],
        { env: AWS_CLI_ENV, reject: false },
      );
      assert.equal(rejected.exitCode, 0, String(rejected.stderr));
      const listed = await execa(
        'aws',
        [
          '--endpoint-url',
          rig.server.endpoint,
          'sagemaker',
          'list-model-packages',
          '--model-package-group-name',
          GROUP,
        ],
        { env: AWS_CLI_ENV },
      );
      const summaries = JSON.parse(listed.stdout).ModelPackageSummaryList as {
        ModelApprovalStatus: string;
      }[];
      assert.deepEqual(summaries.map((p) => p.ModelApprovalStatus).sort(), ['Approved', 'Rejected']);
    }

    await assert.rejects(
      rig.sagemaker.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: GROUP })),
      (error: Error) =>
        error.name === 'ConflictException' && /still holds 2 model package versions/.test(error.message),
    );
    await rig.sagemaker.send(
      new DeleteModelPackageCommand({
        ModelPackageName: `arn:aws:sagemaker:us-east-1:000000000000:model-package/${GROUP}/2`,
      }),
    );
    // A version is never given twice, even after one is deleted.
    const third = await rig.sagemaker.send(new CreateModelPackageCommand(version()));
    assert.match(third.ModelPackageArn ?? '', /\/3$/);
    for (const left of [1, 3])
      await rig.sagemaker.send(
        new DeleteModelPackageCommand({
          ModelPackageName: `arn:aws:sagemaker:us-east-1:000000000000:model-package/${GROUP}/${left}`,
        }),
      );
    await rig.sagemaker.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
    await assert.rejects(
      rig.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: GROUP })),
      /does not exist/,
    );
  });

  it('refuses what it does not keep: unversioned packages (a ModelPackageName), a missing group, validation specifications', async () => {
    await rig.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'refusals' }));
    const { ModelPackageGroupName: _group, ...unversioned } = version();
    await assert.rejects(
      rig.sagemaker.send(
        new CreateModelPackageCommand({ ...unversioned, ModelPackageName: 'for-the-marketplace' }),
      ),
      (error: Error) =>
        error.name === 'ValidationException' &&
        error.message ===
          'ModelPackageName is not supported by the local SageMaker; remove it, or use target aws',
    );
    await assert.rejects(
      rig.sagemaker.send(
        new CreateModelPackageCommand({ ...version(), ModelPackageGroupName: 'no-such-group' }),
      ),
      /ModelPackageGroup arn:aws:sagemaker:us-east-1:000000000000:model-package-group\/no-such-group does not exist/,
    );
    await assert.rejects(
      rig.sagemaker.send(
        new CreateModelPackageCommand({
          ...version(),
          ModelPackageGroupName: 'refusals',
          ValidationSpecification: {
            ValidationRole: 'arn:aws:iam::000000000000:role/r',
            ValidationProfiles: [],
          } as never,
        }),
      ),
      /ValidationSpecification is not supported by the local SageMaker/,
    );
  });
});
