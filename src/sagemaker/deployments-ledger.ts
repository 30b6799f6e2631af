// Every model and endpoint config this pipeline creates, written down BEFORE it is created: after
// a successful deploy the ones no longer in use are deleted, and `pipeline destroy` deletes them
// all, even those left by a run that was killed between its create calls.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Target } from '../engine/config/pipeline-config.js';
import { pipelinePaths } from '../shared/pipeline-paths.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';

export interface Ledger {
  endpointName?: string;
  /** Names used for both a model and its endpoint config. */
  deployments: string[];
}

export const ledgerFile = (stateDir: string, target: Target): string =>
  pipelinePaths.deploymentsLedger(stateDir, target);

export async function readLedger(file: string): Promise<Ledger> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Ledger;
  } catch {
    return { deployments: [] };
  }
}

export async function writeLedger(file: string, ledger: Ledger): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(ledger, null, 2)}\n`);
}
