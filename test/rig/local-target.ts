// The local target's background SageMaker, as a test sees it: SDK clients on the endpoints that
// .pipeline/local/server.json names, and a clean-up that leaves no process behind.
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { type LocalServerFacts, readServerFacts, stopLocalDaemon } from '../../src/local-sagemaker/daemon.js';
import { exampleProject, prepareExampleModel } from './example-model.js';
import { localS3Client } from './local-s3.js';
import type { TestProject } from './project.js';
import { daemonKey } from './test-key.js';

export interface LocalTarget {
  facts: LocalServerFacts;
  sagemaker: SageMakerClient;
  runtime: SageMakerRuntimeClient;
  s3: S3Client;
  close(): void;
}

export async function localTargetOf(project: TestProject): Promise<LocalTarget> {
  const facts = await readServerFacts(project.path('.pipeline', 'local'));
  if (!facts) throw new Error('the local SageMaker is not running for this project');
  const credentials = await daemonKey(project.path('.pipeline', 'local'));
  const sagemaker = new SageMakerClient({
    endpoint: facts.endpoint,
    region: facts.region,
    credentials,
  });
  const runtime = new SageMakerRuntimeClient({
    endpoint: facts.endpoint,
    region: facts.region,
    credentials,
  });
  const s3 = localS3Client(facts.s3Endpoint, { region: facts.region, credentials });
  return {
    facts,
    sagemaker,
    runtime,
    s3,
    close: () => {
      sagemaker.destroy();
      runtime.destroy();
      s3.destroy();
    },
  };
}

/**
 * `pipeline destroy --yes` (with the environment the project's config needs), then a direct stop
 * of the daemon should that have failed. A failed destroy fails the test: its endpoints would
 * outlive it.
 */
export async function destroyLocalTarget(
  project: TestProject,
  env: Record<string, string> = {},
): Promise<void> {
  const result = await project.run(['destroy', '--yes'], { real: true, env });
  await stopLocalDaemon(join(project.dir, '.pipeline', 'local'));
  if (result.exitCode !== 0) throw new Error(`pipeline destroy failed: ${result.stderr}`);
}

/**
 * A fresh copy of the example project, its model programs built: a suite's `before`. With
 * `paths`, its channels are local folders (see examplePipelineYaml).
 */
export async function freshExampleProject(channels: 'prepare' | 'paths' = 'prepare'): Promise<TestProject> {
  await prepareExampleModel();
  return exampleProject(channels);
}

/** Its local target destroyed, then its folder removed, even if destroying failed: a suite's `after`. */
export async function cleanUpExampleProject(
  project: TestProject,
  env: Record<string, string> = {},
): Promise<void> {
  try {
    await destroyLocalTarget(project, env);
  } finally {
    await project.remove();
  }
}

export { isProcessAlive as isAlive } from '../../src/shared/process-alive.js';
