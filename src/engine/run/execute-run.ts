// Runs a plan: each stage in order, re-checking staleness once its upstream has run (a stage
// whose upstream produced the same outputs is skipped), writing state after every stage and a
// run record at the end. Stages never touch the state; this module alone does.

import { StageError } from '../../shared/errors.js';
import { unwritableFile } from '../../shared/unwritable.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { FileHasher } from '../plan/file-hasher.js';
import { fingerprintOf, snapshotInputs } from '../plan/input-snapshot.js';
import { type PlannedStage, staleReasons } from '../plan/plan-run.js';
import type { SecretDigester } from '../plan/secret-digest.js';
import { LEFT_RUNNING_KEY, type Stage, type StageContext, type StageOutputs } from '../stage.js';
import type { GitInspection } from '../state/git-info.js';
import type { PipelineState, StageAttempt } from '../state/pipeline-state.js';
import type { Redactor } from '../state/redact.js';
import type { RunRecord, RunStatus, StageRecord } from '../state/run-record.js';
import { runRecordFile, writeRunRecord } from '../state/run-record.js';
import { writeState } from '../state/state-store.js';
import type { RunEventSink } from './run-event.js';

export interface RunRequest {
  runId: string;
  loaded: LoadedConfig;
  stages: readonly Stage[];
  plan: readonly PlannedStage[];
  state: PipelineState;
  stateDir: string;
  hasher: FileHasher;
  redactor: Redactor;
  /** Digests secrets in fingerprints and in the config stages show. */
  secrets: SecretDigester;
  argv: string[];
  emit: RunEventSink;
  signal: AbortSignal;
  /** Started before the config was read: see inspectGit. */
  git: GitInspection;
}

export interface RunOutcome {
  status: RunStatus;
  record: RunRecord;
  recordFile: string;
  /** The stage that failed, with what it said. */
  failure?: { stage: string; message: string; detail?: string; bug: boolean };
}

class Interrupted extends Error {}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Interrupted());
    signal.addEventListener('abort', () => reject(new Interrupted()), { once: true });
  });
}

export async function executeRun(request: RunRequest): Promise<RunOutcome> {
  const { loaded, state, stateDir, redactor, emit, signal } = request;
  const started = Date.now();
  const { info: gitInfo, dirty } = request.git;
  const records: Record<string, StageRecord> = {};
  const outputsOf = (name: string): StageOutputs | undefined => state.stages[name]?.lastSuccess?.outputs;
  let status: RunStatus = 'succeeded';
  let failure: RunOutcome['failure'];

  /** The run's record as it stands: written before the first stage runs and after each one, so
   * that even a run killed with -9 leaves a record (status "running", shown as killed later). */
  const saveRecord = async (current: RunStatus | 'running'): Promise<RunRecord> => {
    const now = Date.now();
    const git = await gitInfo;
    const isDirty = await dirty;
    const record: RunRecord = {
      id: request.runId,
      pipeline: loaded.config.name,
      status: current,
      pid: process.pid,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(now).toISOString(),
      durationMs: now - started,
      argv: request.argv,
      ...(loaded.environment !== undefined ? { environment: loaded.environment } : {}),
      target: loaded.config.target,
      ...(git ? { git: { ...git, ...(isDirty !== undefined ? { dirty: isDirty } : {}) } } : {}),
      config: loaded.config,
      stages: records,
    };
    const safe = redactor.value(record);
    await writeRunRecord(stateDir, safe);
    return safe;
  };

  const displayConfig = request.secrets.mask(loaded.config);
  emit({ type: 'run-start', runId: request.runId, plan: request.plan });
  let recordStarted = false;
  for (const planned of request.plan) {
    const stage = request.stages.find((s) => s.name === planned.name) as Stage;
    if (status !== 'succeeded') {
      const skip = {
        kind: 'after-failure',
        stage: failure?.stage ?? '?',
        interrupted: status === 'interrupted',
      } as const;
      emit({ type: 'stage-skip', stage: stage.name, skip });
      records[stage.name] = { action: 'not-run', reasons: planned.reasons, skip };
      continue;
    }
    if (planned.action === 'skip') {
      const skip = planned.skip ?? { kind: 'up-to-date' };
      emit({ type: 'stage-skip', stage: stage.name, skip });
      records[stage.name] = {
        action: 'skipped',
        reasons: planned.reasons,
        skip,
        ...(outputsOf(stage.name) ? { outputs: outputsOf(stage.name) } : {}),
      };
      continue;
    }

    if (!recordStarted) {
      recordStarted = true;
      await saveRecord('running');
    }
    // Upstream stages may just have run: take their new outputs into the fingerprint.
    const upstream: Record<string, StageOutputs> = {};
    for (const need of stage.needs) upstream[need] = outputsOf(need) ?? {};
    const snapshot = await snapshotInputs(
      stage,
      loaded.config,
      loaded.projectDir,
      upstream,
      request.hasher,
      request.secrets,
    );
    const fingerprint = fingerprintOf(snapshot);
    // A drifted resource (seen by the plan) stays a reason even when no input changed.
    const drifted = planned.reasons.filter((reason) => reason.kind === 'drifted');
    const reasons = planned.forced
      ? planned.reasons
      : [...drifted, ...staleReasons(state.stages[stage.name], snapshot)];
    if (reasons.length === 0) {
      const skip = { kind: 'upstream-unchanged' } as const;
      emit({ type: 'stage-skip', stage: stage.name, skip });
      records[stage.name] = { action: 'skipped', reasons: [], skip, fingerprint };
      continue;
    }

    const entry = state.stages[stage.name] ?? {};
    state.stages[stage.name] = entry;
    const previousAttempt = entry.lastAttempt;
    // Re-attach only to work started for these very inputs.
    const resumeHandle =
      previousAttempt?.handle &&
      previousAttempt.status !== 'succeeded' &&
      previousAttempt.status !== 'failed' &&
      previousAttempt.fingerprint === fingerprint
        ? previousAttempt.handle
        : undefined;
    const attempt: StageAttempt = {
      runId: request.runId,
      status: 'running',
      startedAt: new Date().toISOString(),
      fingerprint,
      ...(resumeHandle ? { handle: resumeHandle } : {}),
    };
    entry.lastAttempt = attempt;
    await writeState(stateDir, redactor.value(state));

    emit({
      type: 'stage-start',
      stage: stage.name,
      reasons,
      ...(resumeHandle ? { resuming: resumeHandle } : {}),
    });
    const stageStart = Date.now();
    const context: StageContext = {
      config: loaded.config,
      displayConfig,
      projectDir: loaded.projectDir,
      stateDir,
      runId: request.runId,
      upstream,
      ...(resumeHandle ? { resumeHandle } : {}),
      ...(entry.lastSuccess ? { previousOutputs: entry.lastSuccess.outputs } : {}),
      files: request.hasher,
      signal,
      step: (title) => emit({ type: 'stage-step', stage: stage.name, title: redactor.text(title) }),
      log: (line) => emit({ type: 'stage-log', stage: stage.name, line: redactor.text(line) }),
      saveHandle: async (handle) => {
        attempt.handle = redactor.value(handle);
        await writeState(stateDir, redactor.value(state));
      },
    };

    try {
      const outputs = redactor.value(await Promise.race([stage.run(context), untilAborted(signal)]));
      const durationMs = Date.now() - stageStart;
      const finishedAt = new Date().toISOString();
      Object.assign(attempt, { status: 'succeeded', finishedAt, durationMs });
      entry.lastSuccess = {
        runId: request.runId,
        fingerprint,
        inputs: snapshot,
        outputs,
        startedAt: attempt.startedAt,
        finishedAt,
        durationMs,
      };
      await writeState(stateDir, redactor.value(state));
      emit({ type: 'stage-success', stage: stage.name, outputs, durationMs });
      records[stage.name] = { action: 'ran', reasons, fingerprint, inputs: snapshot, outputs, durationMs };
      await saveRecord('running');
    } catch (error) {
      const durationMs = Date.now() - stageStart;
      const finishedAt = new Date().toISOString();
      if (error instanceof Interrupted) {
        status = 'interrupted';
        Object.assign(attempt, { status: 'interrupted', finishedAt, durationMs });
        await writeState(stateDir, redactor.value(state));
        emit({
          type: 'stage-interrupted',
          stage: stage.name,
          durationMs,
          ...(attempt.handle ? { handle: attempt.handle } : {}),
        });
        records[stage.name] = { action: 'interrupted', reasons, fingerprint, durationMs };
        const leftRunning = attempt.handle?.[LEFT_RUNNING_KEY];
        failure = {
          stage: stage.name,
          message: 'interrupted',
          bug: false,
          ...(typeof leftRunning === 'string' ? { detail: leftRunning } : {}),
        };
        continue;
      }
      status = 'failed';
      const unwritable = unwritableFile(error);
      const bug = !(error instanceof StageError) && !unwritable;
      const message = redactor.text(
        unwritable
          ? `cannot write ${unwritable.path}: ${unwritable.reason} (${unwritable.code})`
          : error instanceof Error
            ? error.message
            : String(error),
      );
      const detail =
        error instanceof StageError
          ? error.detail && redactor.text(error.detail)
          : error instanceof Error
            ? error.stack && redactor.text(error.stack)
            : undefined;
      Object.assign(attempt, { status: 'failed', finishedAt, durationMs, error: message });
      await writeState(stateDir, redactor.value(state));
      emit({ type: 'stage-failure', stage: stage.name, message, durationMs, ...(detail ? { detail } : {}) });
      records[stage.name] = { action: 'failed', reasons, fingerprint, durationMs, error: message };
      failure = { stage: stage.name, message, bug, ...(detail ? { detail } : {}) };
    }
  }

  const safeRecord = await saveRecord(status);
  const recordFile = runRecordFile(stateDir, request.runId);
  await request.hasher.save();
  emit({ type: 'run-end', status, durationMs: safeRecord.durationMs });
  return { status, record: safeRecord, recordFile, ...(failure ? { failure } : {}) };
}
