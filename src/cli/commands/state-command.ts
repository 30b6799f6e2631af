// `pipeline state push` and `pipeline state pull`: move the state, the ledgers, the upload
// manifests, the secret key and the run history between .pipeline/ and the S3 backend, under
// both locks, so that switching backends loses no run and no record of what exists remotely.
import type { LoadedConfig } from '../../engine/config/load-config.js';
import { acquireLock } from '../../engine/state/lock.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { loadForCommand, stateDirOf } from '../open-pipeline.js';

export interface StatePushOptions extends CommonOptions {
  force: boolean;
}

type Transfer = (backend: import('../../sagemaker/s3-state-backend.js').S3StateBackend) => Promise<number>;

async function underBothLocks(
  options: CommonOptions,
  io: CliIo,
  command: string,
  transfer: Transfer,
  said: (count: number, location: string, loaded: LoadedConfig) => string,
): Promise<CliFailure | undefined> {
  const loaded = await loadForCommand(options, io, true);
  if (!loaded.ok) return { reason: 'config', errors: loaded.error };
  const { config } = loaded.value;
  if (config.state.backend !== 's3')
    return {
      reason: 'usage',
      message: `${command} moves the state to or from an S3 backend: set state.backend: s3 and state.bucket in pipeline.yaml first`,
    };
  const stateDir = stateDirOf(loaded.value);
  const { openS3StateBackend } = await import('../../sagemaker/s3-state-connection.js');
  const backend = await openS3StateBackend(config, stateDir);
  // No run may write either side meanwhile.
  const local = await acquireLock(stateDir, command);
  if (!local.ok) return { reason: 'locked', ...local.error };
  try {
    const shared = await backend.lock(command);
    if (!shared.ok) return { reason: 'locked', ...shared.error };
    try {
      const count = await transfer(backend);
      if (options.json) writeJson(io.stdout, { files: count, location: backend.location });
      else writeLine(io.stdout, said(count, backend.location, loaded.value));
      return undefined;
    } finally {
      await shared.value.release();
    }
  } finally {
    await local.value.release();
  }
}

export function statePushCommand(options: StatePushOptions, io: CliIo): Promise<CliFailure | undefined> {
  return underBothLocks(
    options,
    io,
    'pipeline state push',
    (backend) => backend.pushEverything(options.force),
    (count, location) =>
      `Pushed ${count} file(s) of .pipeline/ to ${location}: the state and run history now live there.`,
  );
}

export function statePullCommand(options: CommonOptions, io: CliIo): Promise<CliFailure | undefined> {
  return underBothLocks(
    options,
    io,
    'pipeline state pull',
    (backend) => backend.pullEverything(),
    (count, location) =>
      `Pulled ${count} file(s) from ${location} into .pipeline/. To keep the state on this machine from now on, set state.backend: local.`,
  );
}
