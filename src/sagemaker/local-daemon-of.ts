// The background local SageMaker of a pipeline (target local): where its data lives, its region
// and registry, from the config. The SDK connection and the drift checks find it here.

import { dirname, resolve } from 'node:path';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import type { LocalDaemon } from '../local-sagemaker/daemon.js';
import { pipelinePaths } from '../shared/pipeline-paths.js';

/** The pipeline's local SageMaker, started (or restarted with this config's settings) if need be. */
export async function ensureLocalDaemonOf(config: PipelineConfig, stateDir: string): Promise<LocalDaemon> {
  const { ensureLocalDaemon } = await import('../local-sagemaker/daemon.js');
  return ensureLocalDaemon({
    dataDir: pipelinePaths.localSageMaker(stateDir),
    region: config.aws.region ?? 'us-east-1',
    // The process runtime's images: the project's folders, and its build context wherever it is.
    fileImageRoots: [dirname(stateDir), resolve(dirname(stateDir), config.image.context)],
    ...(config.local.registry ? { registry: config.local.registry } : {}),
  });
}

/** The pipeline's local SageMaker if it runs (answering within 2 s); never starts one. */
export async function findLocalDaemonOf(stateDir: string): Promise<LocalDaemon | undefined> {
  const { findLocalDaemonWithKey } = await import('../local-sagemaker/daemon.js');
  return findLocalDaemonWithKey(pipelinePaths.localSageMaker(stateDir), 2);
}
