// The key pair the tests' own local SageMakers and S3 servers accept (new for each test process),
// and that their AWS clients sign with. A daemon the CLI starts makes its own pair instead:
// daemonKey reads it where the CLI does.
import { credentialsFile, newAccessKey, readCredentials } from '../../src/local-sagemaker/credentials.js';
import type { AccessKey } from '../../src/shared/sigv4.js';

export const TEST_KEY: AccessKey = newAccessKey();

/** The key pair of the daemon whose data folder is dataDir (.pipeline/local). */
export async function daemonKey(dataDir: string): Promise<AccessKey> {
  const key = await readCredentials(credentialsFile(dataDir));
  if (!key) throw new Error(`no key pair in ${dataDir}`);
  return key;
}
