// The shape of .pipeline/state.json: per stage, what its last success was made of and produced,
// and how its last attempt ended. Enough to plan, and to resume from any stage in a new process.
import type { InputSnapshot } from '../plan/input-snapshot.js';
import type { StageOutputs } from '../stage.js';

export const STATE_VERSION = 1;

export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface StageAttempt {
  runId: string;
  status: AttemptStatus;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  error?: string;
  /** The inputs this attempt ran for: a saved handle is only re-attached to for the same. */
  fingerprint?: string;
  /** A remote handle saved before a long wait (a training job's name), to re-attach to. */
  handle?: StageOutputs;
}

export interface StageSuccess {
  runId: string;
  fingerprint: string;
  inputs: InputSnapshot;
  outputs: StageOutputs;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export interface StageState {
  lastAttempt?: StageAttempt;
  lastSuccess?: StageSuccess;
}

export interface PipelineState {
  version: typeof STATE_VERSION;
  pipeline: string;
  updatedAt: string;
  stages: Record<string, StageState>;
}

export const emptyState = (pipeline: string): PipelineState => ({
  version: STATE_VERSION,
  pipeline,
  updatedAt: new Date(0).toISOString(),
  stages: {},
});
