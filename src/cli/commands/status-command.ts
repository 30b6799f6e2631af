// `pipeline status`: each stage's state (up to date, stale, failed, running, never run), its
// outputs and timings, from the state file and the current config.

import { fingerprintOf, snapshotInputs } from '../../engine/plan/input-snapshot.js';
import { summarizeReasons } from '../../engine/plan/stale-reason.js';
import { checkDrift, staleReasons } from '../../engine/run/plan-run.js';
import type { Stage, StageOutputs } from '../../engine/stage.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { openPipeline } from '../open-pipeline.js';
import { type Paint, painter } from '../paint.js';
import { formatDuration } from '../render/format-run.js';

type StageStatus = 'up-to-date' | 'stale' | 'failed' | 'running' | 'interrupted' | 'never-run';

const STYLE: Record<StageStatus, Parameters<Paint>[0]> = {
  'up-to-date': 'green',
  stale: 'yellow',
  failed: 'red',
  running: 'cyan',
  interrupted: 'yellow',
  'never-run': 'dim',
};

export async function statusCommand(
  options: CommonOptions,
  io: CliIo,
  builtIns: readonly Stage[],
): Promise<CliFailure | undefined> {
  const opened = await openPipeline(options, io, builtIns);
  if (!opened.ok) return opened.error;
  const { loaded, stages, state, hasher, stateDir, secrets, backend } = opened.value;
  const runningHolder = await backend.holder();
  const rows = [];
  for (const stage of stages) {
    const entry = state.stages[stage.name];
    const upstream: Record<string, StageOutputs | undefined> = {};
    for (const need of stage.needs) upstream[need] = state.stages[need]?.lastSuccess?.outputs;
    const snapshot = await snapshotInputs(stage, loaded.config, loaded.projectDir, upstream, hasher, secrets);
    const reasons = staleReasons(entry, snapshot, hasher.listings);
    const attempt = entry?.lastAttempt;
    const success = entry?.lastSuccess;
    let status: StageStatus;
    if (attempt?.status === 'running') status = runningHolder ? 'running' : 'interrupted';
    else if (attempt?.status === 'failed' && attempt.runId !== success?.runId) status = 'failed';
    else if (attempt?.status === 'interrupted' && attempt.runId !== success?.runId) status = 'interrupted';
    else if (!success) status = 'never-run';
    else if (reasons.length > 0) status = 'stale';
    else if (options.refresh === false) status = 'up-to-date';
    else {
      // Up to date by its inputs: and is what it made still there?
      const drift = await checkDrift(stage, entry, loaded, stateDir, false, hasher);
      if (drift.reason) reasons.push(drift.reason);
      status = drift.reason ? 'stale' : 'up-to-date';
    }
    rows.push({
      name: stage.name,
      status,
      reasons,
      fingerprint: fingerprintOf(snapshot),
      outputs: success?.outputs ?? null,
      lastSuccess: success
        ? { runId: success.runId, finishedAt: success.finishedAt, durationMs: success.durationMs }
        : null,
      lastAttempt: attempt ?? null,
    });
  }
  await hasher.save();

  if (options.json) {
    writeJson(io.stdout, { pipeline: loaded.config.name, target: loaded.config.target, stages: rows });
    return undefined;
  }
  const paint = painter(Boolean(io.stdout.isTTY), io.env);
  const pad = Math.max(...rows.map((r) => r.name.length));
  writeLine(io.stdout, `Status of ${paint('bold', loaded.config.name)} (target ${loaded.config.target})`);
  for (const row of rows) {
    const label = paint(STYLE[row.status], row.status.padEnd(11));
    const when = row.lastSuccess
      ? `last ran ${row.lastSuccess.finishedAt.replace('T', ' ').slice(0, 19)} (${formatDuration(row.lastSuccess.durationMs)})`
      : '';
    const why =
      row.status === 'failed'
        ? `: ${row.lastAttempt?.error}`
        : row.status === 'stale'
          ? `: ${summarizeReasons(row.reasons, 2)}`
          : row.status === 'interrupted' && row.lastAttempt?.handle
            ? `: will re-attach to ${JSON.stringify(row.lastAttempt.handle)}`
            : '';
    writeLine(io.stdout, `  ${row.name.padEnd(pad)}  ${label} ${paint('dim', when)}${why}`);
    for (const [key, value] of Object.entries(row.outputs ?? {})) {
      writeLine(
        io.stdout,
        `  ${' '.repeat(pad)}    ${paint('dim', `${key}:`)} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
      );
    }
  }
  return undefined;
}
