// Every model and endpoint config this pipeline creates, written down BEFORE it is created: after
// a successful deploy the ones no longer in use are deleted, and `pipeline destroy` deletes them
// all, even those left by a run that was killed between its create calls.
import type { Target } from '../engine/config/pipeline-config.js';
import { readJsonFile, writeJsonFile } from '../shared/json-file.js';
import { pipelinePaths } from '../shared/pipeline-paths.js';

export interface Ledger {
  endpointName?: string;
  /** Names used for both a model and its endpoint config. */
  deployments: string[];
}

export const ledgerFile = (stateDir: string, target: Target): string =>
  pipelinePaths.deploymentsLedger(stateDir, target);

export const readLedger = (file: string): Promise<Ledger> => readJsonFile<Ledger>(file, { deployments: [] });

export const writeLedger = (file: string, ledger: Ledger): Promise<void> => writeJsonFile(file, ledger, 2);
