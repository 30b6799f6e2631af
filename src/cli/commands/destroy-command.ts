import { realpath } from 'node:fs/promises';
import type { Stage } from '../../engine/stage.js';
import { readState, writeState } from '../../engine/state/state-store.js';
import { channelPrefixOf, dataBucketOf, dataPrefixOf } from '../../sagemaker/data-location.js';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { confirm } from '../confirm.js';
import { openPipeline } from '../open-pipeline.js';
import { pullState } from '../state-backend-of.js';

export interface DestroyOptions extends CommonOptions {
  yes: boolean;
}

/** The stage and every stage that needs it, directly or not. */
function stagesFrom(stages: readonly Stage[], root: string): Set<string> {
  const affected = new Set([root]);
  for (const stage of stages) if (stage.needs.some((need) => affected.has(need))) affected.add(stage.name);
  return affected;
}

export async function destroyCommand(
  options: DestroyOptions,
  io: CliIo,
  stages: readonly Stage[],
): Promise<CliFailure | undefined> {
  // Destroying needs to know where the resources are, not the secrets the stages use.
  const opened = await openPipeline(options, io, stages, { onlyWhereSettings: true });
  if (!opened.ok) return opened.error;
  const { loaded, stateDir, backend } = opened.value;
  const { config } = loaded;
  const { ledgerFile, readLedger, writeLedger } = await import('../../sagemaker/deployments-ledger.js');
  const { findLocalDaemon, stopLocalDaemon } = await import('../../local-sagemaker/daemon.js');
  const ledgerPath = ledgerFile(stateDir, config.target);
  const ledger = await readLedger(ledgerPath);
  const localDir = pipelinePaths.localSageMaker(stateDir);
  // A shared local SageMaker (local.endpoint) is the team's: this clone deletes its pipeline's
  // resources there, and never stops it.
  const ownLocal = config.target === 'local' && !config.local.endpoint;
  const daemon = ownLocal ? await findLocalDaemon(localDir) : undefined;
  const remote = config.target === 'aws' || daemon !== undefined || config.local.endpoint !== undefined;

  const plan = [
    ...(ledger.endpointName ? [`endpoint ${ledger.endpointName}`] : []),
    ...ledger.deployments.map((name) => `model and endpoint config ${name}`),
    ...(daemon ? [`the local SageMaker (pid ${daemon.pid})`] : []),
  ];
  if (plan.length === 0) {
    if (options.json) writeJson(io.stdout, { target: config.target, deleted: [] });
    else writeLine(io.stdout, `Nothing to destroy for ${config.name} on target ${config.target}.`);
    return undefined;
  }
  if (!options.yes) {
    writeLine(
      io.stderr,
      `This deletes, on target ${config.target}:\n${plan.map((line) => `  - ${line}`).join('\n')}`,
    );
    if (!io.stdin?.isTTY) {
      return { reason: 'usage', message: 'no terminal to ask for confirmation: pass --yes to destroy' };
    }
    if (!(await confirm(io, 'Go ahead? [y/N] '))) {
      writeLine(io.stderr, 'Nothing deleted.');
      return undefined;
    }
  }

  const lock = await backend.lock('pipeline destroy');
  if (!lock.ok) return { reason: 'locked', ...lock.error };
  const deleted: string[] = [];
  try {
    await pullState(backend, io.stderr);
    const { connect } = await import('../../sagemaker/aws-connection.js');
    const { deleteDeployment, deleteEndpoint } = await import('../../sagemaker/deploy-endpoint.js');
    const log = (line: string) => writeLine(io.stderr, line);
    try {
      // Unfinished multipart uploads a killed run left in the data channels are billed on AWS.
      if (remote) {
        const { abortStaleUploads } = await import('../../sagemaker/stale-uploads.js');
        const bucket = dataBucketOf(config);
        const connection = await connect(config, stateDir);
        for (const channel of bucket ? Object.keys(config.data) : []) {
          const prefix = channelPrefixOf(dataPrefixOf(config), channel);
          const aborted = await abortStaleUploads(connection, bucket as string, prefix, log).catch(
            (error: Error) => {
              log(`could not abort unfinished uploads under ${prefix}: ${error.message}`);
              return 0;
            },
          );
          if (aborted > 0) deleted.push(`${aborted} unfinished upload(s) under s3://${bucket}/${prefix}`);
        }
      }
      if (ledger.endpointName || ledger.deployments.length > 0) {
        const connection = await connect(config, stateDir);
        if (
          ledger.endpointName &&
          (await deleteEndpoint(connection, ledger.endpointName, new AbortController().signal))
        ) {
          deleted.push(`endpoint ${ledger.endpointName}`);
        }
        for (const name of ledger.deployments) {
          await deleteDeployment(connection, name, log);
          deleted.push(`model and endpoint config ${name}`);
        }
        await writeLedger(ledgerPath, { deployments: [] });
      }
    } catch (error) {
      return {
        reason: 'stage-failed',
        stage: 'destroy',
        message: (error as Error).message,
        ...((error as { detail?: string }).detail
          ? { detail: (error as { detail?: string }).detail as string }
          : {}),
        bug: false,
      };
    }

    // The endpoint is gone: the deploy stage and everything after it must run again.
    const state = await readState(stateDir, config.name);
    if (state.ok) {
      for (const name of stagesFrom(stages, 'deploy')) delete state.value.stages[name];
      await writeState(stateDir, state.value);
    }
    await backend.push();
  } finally {
    await lock.value.release();
  }
  // After the lock is released: on target local, the shared state may live in this very server.
  if (ownLocal) {
    if (await stopLocalDaemon(localDir)) deleted.push('the local SageMaker');
    // What it could not stop itself (killed while stopping a server or a job) goes now.
    const { removeOwnedContainers } = await import('../../runtimes/docker/docker-runtime.js');
    const owner = await realpath(localDir).catch(() => undefined);
    for (const left of owner ? await removeOwnedContainers(owner) : []) deleted.push(left);
  }

  if (options.json) writeJson(io.stdout, { target: config.target, deleted });
  else
    writeLine(
      io.stdout,
      deleted.length > 0
        ? `Deleted:\n${deleted.map((d) => `  - ${d}`).join('\n')}`
        : 'Nothing was left to delete.',
    );
  return undefined;
}
