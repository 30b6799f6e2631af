// Runs a plan: each stage in order, re-checking staleness once its upstream has run (a stage
// whose upstream produced the same outputs is skipped), writing state after every stage and a
// run record at the end. Stages never touch the state; this module alone does. One function per
// phase: decide what a stage does now, start its attempt, run it (its end as data), record it.

import { untilAborted } from '../../shared/abortable.js';
import { StageError } from '../../shared/errors.js';
import { unwritableFile } from '../../shared/unwritable.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { FileHasher } from '../plan/file-hasher.js';
import { fingerprintOf, type InputSnapshot, snapshotInputs } from '../plan/input-snapshot.js';
import type { SecretDigester } from '../plan/secret-digest.js';
import type { StaleReason } from '../plan/stale-reason.js';
import { LEFT_RUNNING_KEY, type Stage, type StageContext, type StageOutputs } from '../stage.js';
import type { GitInspection } from '../state/git-info.js';
import type { PipelineState, StageAttempt, StageState } from '../state/pipeline-state.js';
import type { Redactor } from '../state/redact.js';
import type { RunRecord, RunStatus, StageRecord } from '../state/run-record.js';
import { runRecordFile, writeRunRecord } from '../state/run-record.js';
import { StateBackendError } from '../state/state-backend.js';
import { writeState } from '../state/state-store.js';
import { type PlannedStage, staleReasons } from './plan-run.js';
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
  /** After each write of the state or the run record: sends them where the state is shared. */
  persist?: () => Promise<unknown>;
  /** How many stages may run at once (`--jobs`); 1 when unset. */
  jobs?: number;
  /**
   * What the run cost, written into its final record (the billed seconds are known only then):
   * the CLI prices it; the engine knows nothing of prices.
   */
  costOf?(record: RunRecord): Promise<RunRecord['cost']>;
}

export interface RunOutcome {
  status: RunStatus;
  record: RunRecord;
  recordFile: string;
  /** The stage that failed, with what it said. */
  failure?: { stage: string; message: string; detail?: string; bug: boolean };
}

class Interrupted extends Error {}

type Failure = NonNullable<RunOutcome['failure']>;
/** Why the run stops before its end: a stage failed, or Ctrl-C/SIGTERM interrupted one. */
type Stop = { failure: Failure; interrupted: boolean };

/** How one stage's run ended, as data. */
type StageEnd =
  | { kind: 'succeeded'; outputs: StageOutputs; durationMs: number }
  | { kind: 'interrupted'; durationMs: number }
  | { kind: 'failed'; durationMs: number; message: string; detail?: string; bug: boolean };

/** What every phase of one run shares. */
interface Execution {
  request: RunRequest;
  started: number;
  records: Record<string, StageRecord>;
  /** The config as stages show it: secrets as digests. */
  displayConfig: RunRequest['loaded']['config'];
  /** The writes of the state and the run record, one after another (stages run at once). */
  writes: Promise<unknown>;
}

/** Runs `write` after every write queued before it: two stages ending at once never interleave. */
function queueWrite<T>(execution: Execution, write: () => Promise<T>): Promise<T> {
  const next = execution.writes.then(write, write);
  execution.writes = next.catch(() => undefined);
  return next;
}

const outputsOf = (request: RunRequest, name: string): StageOutputs | undefined =>
  request.state.stages[name]?.lastSuccess?.outputs;

function saveState(execution: Execution): Promise<void> {
  const { request } = execution;
  return queueWrite(execution, async () => {
    await writeState(request.stateDir, request.redactor.value(request.state));
    await request.persist?.();
  });
}

/**
 * The run's record as it stands: written before the first stage runs and after each one, so that
 * even a run killed with -9 leaves a record (status "running", shown as killed later).
 */
function saveRecord(execution: Execution, current: RunStatus | 'running'): Promise<RunRecord> {
  return queueWrite(execution, () => writeRecord(execution, current));
}

async function writeRecord(execution: Execution, current: RunStatus | 'running'): Promise<RunRecord> {
  const { request, started } = execution;
  // In the plan's order, whatever order the stages ended in.
  const records = Object.fromEntries(
    request.plan.flatMap((planned) => {
      const record = execution.records[planned.name];
      return record ? [[planned.name, record] as const] : [];
    }),
  );
  const { loaded } = request;
  const now = Date.now();
  const git = await request.git.info;
  const dirty = await request.git.dirty;
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
    ...(git ? { git: { ...git, ...(dirty !== undefined ? { dirty } : {}) } } : {}),
    config: loaded.config,
    stages: records,
  };
  if (current !== 'running' && request.costOf) {
    const cost = await request.costOf(record);
    if (cost) record.cost = cost;
  }
  const safe = request.redactor.value(record);
  await writeRunRecord(request.stateDir, safe);
  await request.persist?.();
  return safe;
}

/** A handle to re-attach to: only one an unfinished attempt saved for these very inputs. */
function resumableHandle(previous: StageAttempt | undefined, fingerprint: string): StageOutputs | undefined {
  if (!previous?.handle || previous.status === 'succeeded' || previous.status === 'failed') return undefined;
  return previous.fingerprint === fingerprint ? previous.handle : undefined;
}

/** Runs the stage and turns however it ends into data (a bug is a failure marked as one). */
async function runStage(stage: Stage, context: StageContext, redactor: Redactor): Promise<StageEnd> {
  const started = Date.now();
  try {
    const outputs = redactor.value(
      await untilAborted(stage.run(context), context.signal, () => new Interrupted()),
    );
    return { kind: 'succeeded', outputs, durationMs: Date.now() - started };
  } catch (error) {
    const durationMs = Date.now() - started;
    if (error instanceof Interrupted) return { kind: 'interrupted', durationMs };
    // The shared state refused a write the stage asked for (saving its handle): not the stage's
    // failure; the run stops with exit 3, as at any other state write.
    if (error instanceof StateBackendError) throw error;
    const unwritable = unwritableFile(error);
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
    const bug = !(error instanceof StageError) && !unwritable;
    return { kind: 'failed', durationMs, message, bug, ...(detail ? { detail } : {}) };
  }
}

/**
 * Runs one stage that the plan says runs: re-checks it against its upstream's new outputs, saves
 * its attempt (with a handle to re-attach to) before it starts, runs it, and records how it
 * ended. Returns the failure that stops the run, if any.
 */
async function executeStage(
  execution: Execution,
  planned: PlannedStage,
  stage: Stage,
): Promise<Stop | undefined> {
  const { request, records } = execution;
  const { loaded, state, emit, redactor } = request;
  const upstream: Record<string, StageOutputs> = {};
  for (const need of stage.needs) upstream[need] = outputsOf(request, need) ?? {};
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
    : [...drifted, ...staleReasons(state.stages[stage.name], snapshot, request.hasher.listings)];
  if (reasons.length === 0) {
    const skip = { kind: 'upstream-unchanged' } as const;
    emit({ type: 'stage-skip', stage: stage.name, skip });
    records[stage.name] = { action: 'skipped', reasons: [], skip, fingerprint };
    return undefined;
  }

  const entry = state.stages[stage.name] ?? {};
  state.stages[stage.name] = entry;
  const resumeHandle = resumableHandle(entry.lastAttempt, fingerprint);
  const attempt: StageAttempt = {
    runId: request.runId,
    status: 'running',
    startedAt: new Date().toISOString(),
    fingerprint,
    ...(resumeHandle ? { handle: resumeHandle } : {}),
  };
  entry.lastAttempt = attempt;
  await saveState(execution);
  emit({
    type: 'stage-start',
    stage: stage.name,
    reasons,
    ...(resumeHandle ? { resuming: resumeHandle } : {}),
  });

  const end = await runStage(
    stage,
    {
      config: loaded.config,
      displayConfig: execution.displayConfig,
      projectDir: loaded.projectDir,
      stateDir: request.stateDir,
      runId: request.runId,
      upstream,
      ...(resumeHandle ? { resumeHandle } : {}),
      ...(entry.lastSuccess ? { previousOutputs: entry.lastSuccess.outputs } : {}),
      files: request.hasher,
      signal: request.signal,
      step: (title) => emit({ type: 'stage-step', stage: stage.name, title: redactor.text(title) }),
      progress: (text) => emit({ type: 'stage-progress', stage: stage.name, text: redactor.text(text) }),
      log: (line) => emit({ type: 'stage-log', stage: stage.name, line: redactor.text(line) }),
      redact: (text) => redactor.text(text),
      saveHandle: async (handle) => {
        attempt.handle = redactor.value(handle);
        await saveState(execution);
      },
    },
    redactor,
  );
  return settleAttempt(execution, { stage, entry, attempt, snapshot, fingerprint, reasons }, end);
}

/** The attempt that just ended, and what it ran for. */
interface EndedAttempt {
  stage: Stage;
  entry: StageState;
  attempt: StageAttempt;
  snapshot: InputSnapshot;
  fingerprint: string;
  reasons: StaleReason[];
}

/** Records how a stage's attempt ended, in the state, the events and the run record. */
async function settleAttempt(
  execution: Execution,
  ended: EndedAttempt,
  end: StageEnd,
): Promise<Stop | undefined> {
  const { request, records } = execution;
  const { emit } = request;
  const { stage, entry, attempt, snapshot, fingerprint, reasons } = ended;
  const finishedAt = new Date().toISOString();
  const { durationMs } = end;
  switch (end.kind) {
    case 'succeeded': {
      const { outputs } = end;
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
      await saveState(execution);
      emit({ type: 'stage-success', stage: stage.name, outputs, durationMs });
      records[stage.name] = { action: 'ran', reasons, fingerprint, inputs: snapshot, outputs, durationMs };
      await saveRecord(execution, 'running');
      return undefined;
    }
    case 'interrupted': {
      Object.assign(attempt, { status: 'interrupted', finishedAt, durationMs });
      await saveState(execution);
      emit({
        type: 'stage-interrupted',
        stage: stage.name,
        durationMs,
        ...(attempt.handle ? { handle: attempt.handle } : {}),
      });
      records[stage.name] = { action: 'interrupted', reasons, fingerprint, durationMs };
      const leftRunning = attempt.handle?.[LEFT_RUNNING_KEY];
      const failure = {
        stage: stage.name,
        message: 'interrupted',
        bug: false,
        ...(typeof leftRunning === 'string' ? { detail: leftRunning } : {}),
      };
      return { failure, interrupted: true };
    }
    case 'failed': {
      const { message, detail, bug } = end;
      Object.assign(attempt, { status: 'failed', finishedAt, durationMs, error: message });
      await saveState(execution);
      emit({ type: 'stage-failure', stage: stage.name, message, durationMs, ...(detail ? { detail } : {}) });
      records[stage.name] = { action: 'failed', reasons, fingerprint, durationMs, error: message };
      return {
        failure: { stage: stage.name, message, bug, ...(detail ? { detail } : {}) },
        interrupted: false,
      };
    }
  }
}

/** A stage the run does not run: after a failure, or skipped by the plan. */
function recordSkipped(execution: Execution, planned: PlannedStage, stop: Stop | undefined): void {
  const { request, records } = execution;
  if (stop) {
    const skip = { kind: 'after-failure', stage: stop.failure.stage, interrupted: stop.interrupted } as const;
    request.emit({ type: 'stage-skip', stage: planned.name, skip });
    records[planned.name] = { action: 'not-run', reasons: planned.reasons, skip };
    return;
  }
  const skip = planned.skip ?? { kind: 'up-to-date' };
  request.emit({ type: 'stage-skip', stage: planned.name, skip });
  const outputs = outputsOf(request, planned.name);
  records[planned.name] = {
    action: 'skipped',
    reasons: planned.reasons,
    skip,
    ...(outputs ? { outputs } : {}),
  };
}

export async function executeRun(request: RunRequest): Promise<RunOutcome> {
  const execution: Execution = {
    request,
    started: Date.now(),
    records: {},
    displayConfig: request.secrets.mask(request.loaded.config),
    writes: Promise.resolve(),
  };
  request.emit({ type: 'run-start', runId: request.runId, plan: request.plan });
  const stop = await runInDependencyOrder(execution);

  const status: RunStatus = !stop ? 'succeeded' : stop.interrupted ? 'interrupted' : 'failed';
  const record = await saveRecord(execution, status);
  await request.hasher.save();
  request.emit({ type: 'run-end', status, durationMs: record.durationMs });
  return {
    status,
    record,
    recordFile: runRecordFile(request.stateDir, request.runId),
    ...(stop ? { failure: stop.failure } : {}),
  };
}

/**
 * Starts each stage once every stage it waits for (its needs, and `after`) has ended, up to
 * `jobs` at once, in the plan's order among those ready. After a failure or an interruption no
 * stage starts; those running end as they end (Ctrl-C interrupts them all).
 */
async function runInDependencyOrder(execution: Execution): Promise<Stop | undefined> {
  const { request } = execution;
  const jobs = Math.max(1, request.jobs ?? 1);
  const planned = new Set(request.plan.map((stage) => stage.name));
  const stageOf = (name: string) => request.stages.find((s) => s.name === name) as Stage;
  const waitsFor = (name: string) => {
    const stage = stageOf(name);
    return [...stage.needs, ...(stage.after ?? [])].filter((other) => planned.has(other));
  };
  const ended = new Set<string>();
  const pending = [...request.plan];
  const running = new Map<string, Promise<void>>();
  let stop: Stop | undefined;
  let recordStarted = false;
  for (;;) {
    for (let index = 0; index < pending.length && !stop; ) {
      const next = pending[index] as PlannedStage;
      const ready = waitsFor(next.name).every((name) => ended.has(name));
      if (!ready || (next.action === 'run' && running.size >= jobs)) {
        index++;
        continue;
      }
      pending.splice(index, 1);
      if (next.action === 'skip') {
        recordSkipped(execution, next, undefined);
        ended.add(next.name);
        // A stage skipped may make others ready that come before this index: look again.
        index = 0;
        continue;
      }
      if (!recordStarted) {
        recordStarted = true;
        await saveRecord(execution, 'running');
      }
      running.set(
        next.name,
        executeStage(execution, next, stageOf(next.name)).then((result) => {
          stop ??= result;
          running.delete(next.name);
          ended.add(next.name);
        }),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  for (const left of pending) recordSkipped(execution, left, stop);
  return stop;
}
