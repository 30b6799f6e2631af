// `pipeline doctor` on target aws: what only the real AWS can answer (who the credentials are, a
// role's trust policy, a bucket another account owns). These use MOCKED AWS clients
// (aws-sdk-client-mock), as no local component can give these answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import '../../src/shared/sdk-defaults.js';
import { checkAws } from '../../src/cli/doctor/target-checks.js';
import type { PipelineConfig } from '../../src/engine/config/pipeline-config.js';

const config = {
  target: 'aws',
  aws: { region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/SageMakerRole', bucket: 'models' },
  state: { backend: 'local' },
} as unknown as PipelineConfig;

const TRUST = encodeURIComponent(
  JSON.stringify({
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  }),
);

function clients() {
  const sts = new STSClient({ region: 'eu-west-1' });
  const iam = new IAMClient({ region: 'eu-west-1' });
  const s3 = new S3Client({ region: 'eu-west-1' });
  return {
    clients: { sts, iam, s3 },
    mocks: { sts: mockClient(sts), iam: mockClient(iam), s3: mockClient(s3) },
  };
}

/** The caller is known, and the role trusts whom `trust` names. */
function knownCallerAndRole(mocks: ReturnType<typeof clients>['mocks'], trust: string): void {
  mocks.sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ci' });
  mocks.iam.on(GetRoleCommand).resolves({
    Role: {
      RoleName: 'SageMakerRole',
      Arn: config.aws.roleArn as string,
      Path: '/',
      RoleId: 'x',
      CreateDate: new Date(),
      AssumeRolePolicyDocument: trust,
    },
  });
}

const byCheck = (results: Awaited<ReturnType<typeof checkAws>>) =>
  Object.fromEntries(results.map((result) => [result.check, result]));

describe('pipeline doctor on target aws (MOCKED AWS clients)', () => {
  it('passes credentials, a role SageMaker may assume, and a bucket these credentials reach', async () => {
    const { clients: made, mocks } = clients();
    knownCallerAndRole(mocks, TRUST);
    mocks.s3.on(HeadBucketCommand).resolves({});
    const results = byCheck(await checkAws(config, 'eu-west-1', async () => made));
    assert.deepEqual(
      Object.values(results).map((result) => [result.check, result.status]),
      [
        ['region', 'ok'],
        ['credentials', 'ok'],
        ['execution role', 'ok'],
        ['bucket', 'ok'],
      ],
    );
    assert.match(
      results.credentials?.detail ?? '',
      /account 123456789012, as arn:aws:iam::123456789012:user\/ci/,
    );
  });

  it('says what to do about expired credentials, and asks nothing else', async () => {
    const { clients: made, mocks } = clients();
    mocks.sts.on(GetCallerIdentityCommand).rejects(
      Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredToken',
      }),
    );
    const results = byCheck(await checkAws(config, 'eu-west-1', async () => made));
    assert.equal(results.credentials?.status, 'fail');
    assert.match(results.credentials?.detail ?? '', /expired/);
    assert.match(results.credentials?.advice ?? '', /aws sso login/);
    assert.equal(results['execution role'], undefined);
    assert.equal(mocks.iam.calls().length, 0);
  });

  it('finds a role SageMaker may not assume, a bucket that is not there, and no region', async () => {
    const { clients: made, mocks } = clients();
    knownCallerAndRole(
      mocks,
      encodeURIComponent('{"Statement":[{"Principal":{"Service":"ec2.amazonaws.com"}}]}'),
    );
    mocks.s3
      .on(HeadBucketCommand)
      .rejects(
        Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
      );
    const results = byCheck(await checkAws(config, 'eu-west-1', async () => made));
    assert.equal(results['execution role']?.status, 'fail');
    assert.match(results['execution role']?.advice ?? '', /examples\/iam\/trust-policy\.json/);
    assert.equal(results.bucket?.status, 'fail');
    assert.match(results.bucket?.advice ?? '', /aws s3 mb s3:\/\/models --region eu-west-1/);

    const noRegion = await checkAws(config, undefined, async () => made);
    assert.deepEqual(
      noRegion.map((result) => [result.check, result.status]),
      [['region', 'fail']],
    );
  });
});
