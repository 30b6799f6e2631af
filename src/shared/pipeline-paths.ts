// Every place under .pipeline/, named once. Commands, the engine and the stages ask here instead of
// spelling folder names, so the layout (and its README section) has one source.
import { join } from 'node:path';

/** `.pipeline/` beside pipeline.yaml. */
export const stateDirIn = (projectDir: string): string => join(projectDir, '.pipeline');

export const pipelinePaths = {
  state: (stateDir: string): string => join(stateDir, 'state.json'),
  stateBackup: (stateDir: string): string => join(stateDir, 'state.json.bak'),
  lock: (stateDir: string): string => join(stateDir, 'lock'),
  secretKey: (stateDir: string): string => join(stateDir, 'secret-key'),
  /** Run records (RUN_ID.json) and each run's files (RUN_ID/). */
  runs: (stateDir: string): string => join(stateDir, 'runs'),
  runFiles: (stateDir: string, runId: string): string => join(stateDir, 'runs', runId),
  /** The local SageMaker's own store: jobs, endpoints, S3 data, its server.json and log. */
  localSageMaker: (stateDir: string): string => join(stateDir, 'local'),
  /** What can be worked out again: safe to delete. */
  cache: (stateDir: string, name: string): string => join(stateDir, 'cache', name),
  deploymentsLedger: (stateDir: string, target: string): string =>
    join(stateDir, 'deployments', `${target}.json`),
  uploadManifest: (stateDir: string, target: string): string =>
    join(stateDir, 'upload', `${target}-manifest.json`),
  dockerConfig: (stateDir: string): string => join(stateDir, 'docker-config'),
  localTestJob: (stateDir: string): string => join(stateDir, 'local-test', 'opt-ml'),
} as const;
