// The real aws CLI (Debian's awscli), for tests that check the local servers' wire protocol with
// a client nobody here wrote. CI installs it; elsewhere a test without it is skipped, said so.
import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { LOCAL_CREDENTIALS } from '../../src/shared/sdk-defaults.js';

// s3rver accepts only its own key pair; the local SageMaker accepts any.
export const AWS_CLI_ENV = {
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
};

export async function awsCliAvailable(t: TestContext): Promise<boolean> {
  const found = await execa('aws', ['--version'], { reject: false }).catch(() => undefined);
  if (found?.exitCode === 0) return true;
  if (process.env.CI) throw new Error('CI=true but the aws CLI is missing: .ci/run installs awscli');
  t.skip('the aws CLI is not installed (apt-get install awscli)');
  return false;
}
