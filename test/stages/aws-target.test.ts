// Target aws without credentials, for real (no mock): the SDK's credential chain finds nothing,
// and the user reads one message that says what to set, with exit code 1 and nothing lost.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CliResult, type TestProject, withProject } from '../rig/project.js';

/** `pipeline run --only upload` against AWS, in an environment where no credential can be found. */
function uploadWithoutCredentials(project: TestProject, extraArgs: string[] = []): Promise<CliResult> {
  const home = project.path('home');
  return project.run(
    [
      'run',
      '--only',
      'upload',
      '--set',
      'target=aws',
      '--set',
      'aws.region=eu-west-1',
      '--set',
      'aws.bucket=some-bucket',
      '--set',
      'aws.roleArn=arn:aws:iam::123456789012:role/SageMaker',
      ...extraArgs,
    ],
    {
      real: true,
      env: {
        HOME: home,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
        AWS_CONFIG_FILE: `${home}/none`,
        AWS_SHARED_CREDENTIALS_FILE: `${home}/none`,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    },
  );
}

describe('target aws', () => {
  it('without credentials, says how to provide them', async () => {
    await withProject({}, async (project) => {
      const result = await uploadWithoutCredentials(project);
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /stage upload failed: .*CredentialsProviderError/);
      assert.match(result.stderr, /No AWS credentials were found\. Set AWS_PROFILE \(or pass --profile\)/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  });

  it('a named profile that does not exist is one clear message', async () => {
    await withProject({}, async (project) => {
      const result = await uploadWithoutCredentials(project, ['--profile', 'nobody']);
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /No AWS credentials were found for the profile "nobody"/);
    });
  });
});
