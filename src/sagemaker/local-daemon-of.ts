// The background local SageMaker of a pipeline (target local): where its data lives, its region
// and registry, from the config. The SDK connection and the drift checks find it here.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import type { LocalServerFacts } from '../local-sagemaker/daemon.js';
import { pipelinePaths } from '../shared/pipeline-paths.js';

/** The pipeline's local SageMaker, started (or restarted with this config's settings) if need be. */
export async function ensureLocalDaemonOf(
  config: PipelineConfig,
  stateDir: string,
): Promise<LocalServerFacts> {
  const { ensureLocalDaemon } = await import('../local-sagemaker/daemon.js');
  return ensureLocalDaemon({
    dataDir: pipelinePaths.localSageMaker(stateDir),
    region: config.aws.region ?? 'us-east-1',
    ...(config.local.registry ? { registry: config.local.registry } : {}),
  });
}

/** The pipeline's local SageMaker if it runs (answering within 2 s); never starts one. */
export async function findLocalDaemonOf(stateDir: string): Promise<LocalServerFacts | undefined> {
  const { findLocalDaemon } = await import('../local-sagemaker/daemon.js');
  return findLocalDaemon(pipelinePaths.localSageMaker(stateDir), 2);
}
