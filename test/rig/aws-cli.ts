// The real aws CLI (Debian's awscli), for tests that check the local servers' wire protocol with
// a client nobody here wrote. CI installs it; elsewhere a test without it is skipped, said so.
import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { TEST_KEY } from './test-key.js';

// The tests' own key pair: local servers started by a test accept it.
export const AWS_CLI_ENV = {
  AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
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
