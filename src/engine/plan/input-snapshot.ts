// Everything a stage's result depends on, captured at one moment: the config values it reads,
// the hashes of its files, the hashes of its upstream outputs. Its hash is the stage's fingerprint.
import { resolve } from 'node:path';
import { hashJson } from '../../shared/canonical-json.js';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { REPORT_KEY, type Stage, type StageOutputs } from '../stage.js';
import type { FileHasher, TreeHashes } from './file-hasher.js';
import type { SecretDigester } from './secret-digest.js';

export interface InputSnapshot {
  stageVersion: number;
  config: Record<string, unknown>;
  /**
   * File hashes by path relative to the project folder; null for a missing file. A folder of many
   * files is one entry, `FOLDER/` with its tree value (tree-listings.ts).
   */
  files: TreeHashes;
  /** The hash of each needed stage's outputs. */
  upstream: Record<string, string>;
}

export async function snapshotInputs(
  stage: Stage,
  config: PipelineConfig,
  projectDir: string,
  upstreamOutputs: Readonly<Record<string, StageOutputs | undefined>>,
  hasher: FileHasher,
  secrets: SecretDigester,
): Promise<InputSnapshot> {
  const inputs = stage.inputs(config);
  const files: TreeHashes = {};
  for (const input of inputs.files) {
    Object.assign(
      files,
      await hasher.snapshotTree(resolve(projectDir, input.path), projectDir, input.exclude),
    );
  }
  const upstream: Record<string, string> = {};
  for (const name of stage.needs) {
    const outputs = upstreamOutputs[name];
    if (outputs === undefined) {
      upstream[name] = 'none';
      continue;
    }
    const { [REPORT_KEY]: _howItWent, ...results } = outputs;
    upstream[name] = hashJson(results);
  }
  // A JSON round trip drops undefined values, as the state file will. Secrets become digests.
  const values = secrets.mask(JSON.parse(JSON.stringify(inputs.config)) as Record<string, unknown>);
  return { stageVersion: stage.version, config: values, files, upstream };
}

export const fingerprintOf = (snapshot: InputSnapshot): string => hashJson(snapshot);
