// What `pipeline doctor` checks of the target: on target local the local SageMaker (this
// project's own daemon, or the shared one of local.endpoint); on target aws the region, the
// credentials (STS GetCallerIdentity), the execution role (IAM GetRole) and the buckets (S3
// HeadBucket), each failure with AWS's own reason and what to do.

import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { HeadBucketCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { ListTrainingJobsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { PipelineConfig } from '../../engine/config/pipeline-config.js';
import { clientBase } from '../../sagemaker/aws-connection.js';
import { awsErrorName, explainAwsError } from '../../sagemaker/explain-aws-error.js';
import type { LocalSageMakerAccess } from '../../sagemaker/local-sagemaker-of.js';
import { createS3Client } from '../../sagemaker/s3-client.js';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import { type CheckResult, fail, ok, warn } from './doctor-check.js';

export async function checkLocalSageMaker(config: PipelineConfig, stateDir: string): Promise<CheckResult> {
  const { findLocalSageMakerOf } = await import('../../sagemaker/local-sagemaker-of.js');
  if (config.local.endpoint) {
    let shared: LocalSageMakerAccess | undefined;
    try {
      shared = await findLocalSageMakerOf(config, stateDir);
    } catch (error) {
      return fail('local SageMaker', (error as Error).message);
    }
    if (!shared) return fail('local SageMaker', `no answer from ${config.local.endpoint}`);
    const refused = await refusedCall(shared);
    if (!refused)
      return ok(
        'local SageMaker',
        `shared, at ${shared.endpoint} (region ${shared.region}), and it accepts this key pair`,
      );
    return KEY_REFUSED.has(refused.name)
      ? fail(
          'local SageMaker',
          `the shared local SageMaker at ${shared.endpoint} refuses this key pair (${refused.name}: ${refused.message})`,
          'export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY as the pair its `pipeline local serve` was started with',
        )
      : fail(
          'local SageMaker',
          `the shared local SageMaker at ${shared.endpoint} or its S3 at ${shared.s3Endpoint} did not answer a call (${refused.name}: ${refused.message})`,
          'point local.endpoint and local.s3Endpoint at the two URLs `pipeline local serve` prints',
        );
  }
  const dataDir = pipelinePaths.localSageMaker(stateDir);
  const { findForegroundServe, findLocalDaemon } = await import('../../local-sagemaker/daemon.js');
  const daemon = await findLocalDaemon(dataDir, 2);
  if (daemon) return ok('local SageMaker', `running (pid ${daemon.pid}, ${daemon.endpoint})`);
  const foreground = await findForegroundServe(dataDir);
  if (foreground)
    return fail(
      'local SageMaker',
      `\`pipeline local serve\` (pid ${foreground.pid}) serves this project's folder ${dataDir}, so a run cannot start its own there`,
      `stop it, or use it: local.endpoint ${foreground.endpoint} and local.s3Endpoint ${foreground.s3Endpoint}`,
    );
  return ok('local SageMaker', 'not running: the first stage that needs it starts it');
}

/** The answers of a SageMaker or an S3 that does not know or believe a key pair. */
const KEY_REFUSED = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
]);

/** How a signed call to the shared local SageMaker and one to its S3 failed, if either did. */
async function refusedCall(
  shared: LocalSageMakerAccess,
): Promise<{ name: string; message: string } | undefined> {
  const settings = { region: shared.region, credentials: shared.credentials, maxAttempts: 1 };
  const sagemaker = new SageMakerClient({ ...settings, endpoint: shared.endpoint });
  const s3 = createS3Client({ ...settings, endpoint: shared.s3Endpoint, forcePathStyle: true });
  try {
    await sagemaker.send(new ListTrainingJobsCommand({ MaxResults: 1 }));
    await s3.send(new ListBucketsCommand({}));
    return undefined;
  } catch (error) {
    return { name: awsErrorName(error), message: (error as Error).message };
  } finally {
    sagemaker.destroy();
    s3.destroy();
  }
}

/** The clients the aws checks use, with the config's region and profile. */
export function awsClientsFor(config: PipelineConfig, region: string | undefined): AwsClients {
  const settings = clientBase({ region, ...(config.aws.profile ? { profile: config.aws.profile } : {}) });
  return { sts: new STSClient(settings), iam: new IAMClient(settings), s3: createS3Client(settings) };
}

export interface AwsClients {
  sts: STSClient;
  iam: IAMClient;
  s3: S3Client;
}

/** A check's failure in AWS's words, with the hint explainAwsError gives for it. */
function failed(check: string, error: unknown, doing: string): CheckResult {
  const explained = explainAwsError(error, doing);
  return fail(check, explained.message, explained.detail);
}

export async function checkAws(
  config: PipelineConfig,
  region: string | undefined,
  clients: () => Promise<AwsClients>,
): Promise<CheckResult[]> {
  if (!region)
    return [
      fail('region', 'no AWS region', 'set aws.region in pipeline.yaml, or AWS_REGION in the environment'),
    ];
  const results: CheckResult[] = [ok('region', region)];
  const { sts, iam, s3 } = await clients();
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    results.push(ok('credentials', `account ${identity.Account}, as ${identity.Arn}`));
  } catch (error) {
    // Without credentials nothing else can be asked.
    results.push(failed('credentials', error, 'asking STS who the credentials are'));
    return results;
  }
  const roleArn = config.aws.roleArn;
  if (roleArn) {
    const roleName = roleArn.split('/').at(-1) as string;
    try {
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
      const trusted = decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '').includes(
        'sagemaker.amazonaws.com',
      );
      results.push(
        trusted
          ? ok('execution role', `${roleArn}, trusted by sagemaker.amazonaws.com`)
          : fail(
              'execution role',
              `${roleArn} does not let SageMaker assume it`,
              'add sagemaker.amazonaws.com to its trust policy (examples/iam/trust-policy.json)',
            ),
      );
    } catch (error) {
      const name = awsErrorName(error);
      results.push(
        name === 'AccessDenied' || name === 'AccessDeniedException'
          ? warn(
              'execution role',
              `${roleArn}: not checked (these credentials may not call iam:GetRole)`,
              'ask for iam:GetRole on the role to have it checked, or check it in the IAM console',
            )
          : failed('execution role', error, `reading the role ${roleName}`),
      );
    }
  }
  const buckets = [
    ...(config.aws.bucket ? [['bucket', config.aws.bucket] as const] : []),
    ...(config.state.backend === 's3' && config.state.bucket && !config.state.endpoint
      ? [['state bucket', config.state.bucket] as const]
      : []),
  ];
  for (const [check, bucket] of buckets) {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      results.push(ok(check, `s3://${bucket} is there and these credentials reach it`));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      results.push(
        status === 404
          ? fail(
              check,
              `s3://${bucket} does not exist`,
              `create it (aws s3 mb s3://${bucket} --region ${region})`,
            )
          : status === 403
            ? fail(
                check,
                `s3://${bucket}: access denied`,
                'the bucket is another account’s, or these credentials lack s3:ListBucket on it (examples/iam/pipeline-policy.json)',
              )
            : failed(check, error, `looking at s3://${bucket}`),
      );
    }
  }
  return results;
}
