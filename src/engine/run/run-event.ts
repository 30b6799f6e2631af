// What the engine reports while it runs. Renderers (listr2 on a terminal, plain lines in CI,
// JSON) only consume these; none of them drives the work.

import type { StaleReason } from '../plan/stale-reason.js';
import type { StageOutputs } from '../stage.js';
import type { StageSkip } from '../state/stage-skip.js';
import type { PlannedStage } from './plan-run.js';

export type { StageSkip } from '../state/stage-skip.js';

export type RunEvent =
  | { type: 'run-start'; runId: string; plan: readonly PlannedStage[] }
  | { type: 'stage-start'; stage: string; reasons: readonly StaleReason[]; resuming?: StageOutputs }
  | { type: 'stage-step'; stage: string; title: string }
  | { type: 'stage-progress'; stage: string; text: string }
  | { type: 'stage-log'; stage: string; line: string }
  | { type: 'stage-skip'; stage: string; skip: StageSkip }
  | { type: 'stage-success'; stage: string; outputs: StageOutputs; durationMs: number }
  | { type: 'stage-failure'; stage: string; message: string; detail?: string; durationMs: number }
  | { type: 'stage-interrupted'; stage: string; handle?: StageOutputs; durationMs: number }
  | { type: 'run-end'; status: 'succeeded' | 'failed' | 'interrupted'; durationMs: number };

export type RunEventSink = (event: RunEvent) => void;

export function describeSkip(skip: StageSkip): string {
  switch (skip.kind) {
    case 'up-to-date':
      return 'up to date';
    case 'upstream-unchanged':
      return 'up to date (upstream outputs unchanged)';
    case 'not-selected':
      return `not selected by ${skip.by}`;
    case 'disabled':
      return skip.why;
    case 'after-failure':
      return `not run: ${skip.stage} ${skip.interrupted ? 'was interrupted' : 'failed'}`;
  }
}
