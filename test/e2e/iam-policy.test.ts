// examples/iam/pipeline-policy.json is what the credentials that run `pipeline` need on target
// aws: every AWS call the client side makes (src/ and stages/, not the local SageMaker, which is
// a server) must be allowed by it, so that a user who pastes it never meets an AccessDenied.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../rig/project.js';

/** The IAM prefix of each client package the code imports commands from. */
const SERVICE_PREFIX: Record<string, string | null> = {
  s3: 's3',
  sagemaker: 'sagemaker',
  'sagemaker-runtime': 'sagemaker',
  ecr: 'ecr',
  'cloudwatch-logs': 'logs',
  iam: 'iam',
  pricing: 'pricing',
  // GetCallerIdentity needs no permission.
  sts: null,
};

/** S3 calls whose IAM action has another name (https://docs.aws.amazon.com/AmazonS3/latest/API/). */
const S3_ACTIONS: Record<string, string | null> = {
  HeadObject: 's3:GetObject',
  HeadBucket: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  DeleteObjects: 's3:DeleteObject',
  // Only for the local S3 (target local makes its buckets); on AWS the bucket exists.
  CreateBucket: null,
};

/**
 * Calls one file makes only to a local SageMaker, never to AWS: no IAM action is needed for them.
 * Only there: the same call anywhere else needs its action in the policy.
 */
const LOCAL_ONLY: Record<string, string> = {
  // doctor asks a shared local SageMaker and its S3 whether they accept the key pair in use.
  'sagemaker:ListTrainingJobs': 'src/cli/doctor/target-checks.ts',
  's3:ListBuckets': 'src/cli/doctor/target-checks.ts',
};

async function sourceFiles(dir: string): Promise<string[]> {
  const names = await readdir(join(repoRoot, dir), { recursive: true });
  return names
    .map(String)
    .filter((name) => name.endsWith('.ts') && !name.startsWith('local-sagemaker'))
    .map((name) => join(repoRoot, dir, name));
}

describe('the IAM policy for target aws', () => {
  it('allows every AWS call the client side makes', async () => {
    const policy = JSON.parse(
      await readFile(join(repoRoot, 'examples/iam/pipeline-policy.json'), 'utf8'),
    ) as {
      Statement: { Action: string | string[] }[];
    };
    const allowed = new Set(policy.Statement.flatMap((statement) => [statement.Action].flat()));
    const needed = new Map<string, string>();
    for (const file of [...(await sourceFiles('src')), ...(await sourceFiles('stages'))]) {
      const text = await readFile(file, 'utf8');
      for (const [, names = '', client = ''] of text.matchAll(
        /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g,
      )) {
        const prefix = SERVICE_PREFIX[client];
        assert.ok(
          prefix !== undefined,
          `${file}: the IAM prefix of @aws-sdk/client-${client} is not known here`,
        );
        if (prefix === null) continue;
        for (const [, command = ''] of names.matchAll(/\b(?<!type )([A-Z][A-Za-z0-9]*)Command\b/g)) {
          const action =
            prefix === 's3' && command in S3_ACTIONS ? S3_ACTIONS[command] : `${prefix}:${command}`;
          const where = file.slice(repoRoot.length + 1);
          if (action && LOCAL_ONLY[action] !== where) needed.set(action, where);
        }
      }
    }
    assert.ok(needed.size > 20, `found the calls (${needed.size})`);
    const missing = [...needed].filter(([action]) => !allowed.has(action));
    assert.deepEqual(missing, [], 'actions the code needs that examples/iam/pipeline-policy.json lacks');
  });

  it('has a trust policy that lets SageMaker assume the execution role', async () => {
    const trust = JSON.parse(await readFile(join(repoRoot, 'examples/iam/trust-policy.json'), 'utf8')) as {
      Statement: { Principal: { Service: string }; Action: string }[];
    };
    assert.deepEqual(
      trust.Statement.map((statement) => [statement.Principal.Service, statement.Action]),
      [['sagemaker.amazonaws.com', 'sts:AssumeRole']],
    );
  });
});
