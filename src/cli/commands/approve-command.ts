// `pipeline approve RUN` and `pipeline reject RUN`: the model version a run registered (its gates
// passed) approved or rejected in the model registry; an environment with deploy.requireApproval
// serves the latest approved one on its next run.
import { hostname, userInfo } from 'node:os';
import { findRun, loadRuns, outputsIn } from '../../review/run-history.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { loadForCommand, stateDirOf } from '../open-pipeline.js';
import { historyDir } from './runs-command.js';

export interface ApproveOptions extends CommonOptions {
  /** Why: kept as the version's ApprovalDescription. */
  reason?: string;
}

export async function approveCommand(
  ref: string,
  status: 'Approved' | 'Rejected',
  options: ApproveOptions,
  io: CliIo,
): Promise<CliFailure | undefined> {
  const runs = await loadRuns(await historyDir(options, io));
  if (!runs.ok) return { reason: 'damaged-record', record: runs.error };
  const found = findRun(runs.value, ref);
  if (!found.ok) return { reason: 'usage', message: found.message };
  const { id } = found.run.record;
  const evaluated = outputsIn(found.run, 'evaluate');
  const arn = evaluated?.modelPackageArn;
  if (typeof arn !== 'string')
    return {
      reason: 'usage',
      message: `run ${id} registered no model: a run registers its model when its gates pass (\`pipeline runs\` lists the runs; \`pipeline show RUN\` shows one)`,
    };
  // Where the registry is: the config's target and connection, not the secrets its stages use.
  const loaded = await loadForCommand(options, io, true);
  if (!loaded.ok) return { reason: 'config', errors: loaded.error };
  const { connect } = await import('../../sagemaker/aws-connection.js');
  const { setApproval } = await import('../../sagemaker/model-registry.js');
  const connection = await connect(loaded.value.config, stateDirOf(loaded.value));
  const who = `${userInfo().username}@${hostname()}`;
  const verb = status === 'Approved' ? 'approved' : 'rejected';
  await setApproval(
    connection,
    arn,
    status,
    options.reason ?? `${verb} by ${who} with \`pipeline ${verb === 'approved' ? 'approve' : 'reject'}\``,
  );
  const version = evaluated?.modelPackageVersion;
  if (options.json) writeJson(io.stdout, { run: id, modelPackageArn: arn, status });
  else
    writeLine(
      io.stdout,
      `${typeof version === 'number' ? `version ${version}` : arn} (run ${id}): ${status}${status === 'Approved' ? '; an environment with deploy.requireApproval serves it on its next run' : ''}`,
    );
  return undefined;
}
