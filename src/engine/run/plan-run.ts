// Decides, before anything runs, which stages run and why: a stage runs when it is selected
// and either forced or stale (an input changed since its last success, or an upstream runs).

import type { Result } from '../../shared/result.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { FileHasher } from '../plan/file-hasher.js';
import { fingerprintOf, type InputSnapshot, snapshotInputs } from '../plan/input-snapshot.js';
import type { SecretDigester } from '../plan/secret-digest.js';
import { diffSnapshots, type StaleReason } from '../plan/stale-reason.js';
import type { TreeListings } from '../plan/tree-listings.js';
import type { Stage, StageOutputs } from '../stage.js';
import type { PipelineState, StageState } from '../state/pipeline-state.js';

/** `--from`, `--to`, `--only`, `--force` of `pipeline run`. */
export interface Selection {
  from?: string;
  to?: string;
  only?: string;
  force?: boolean;
}

import type { SkipReason } from '../state/stage-skip.js';

export type { SkipReason } from '../state/stage-skip.js';

export interface PlannedStage {
  name: string;
  action: 'run' | 'skip';
  /** Why it runs; for a stage left out by the selection, why it would. */
  reasons: StaleReason[];
  skip?: SkipReason;
  forced: boolean;
  /** What the stage will do differently for this config, said in the plan. */
  note?: string;
  /** Its fingerprint now, when every input is known (no upstream runs first). */
  fingerprint?: string;
  snapshot: InputSnapshot;
}

export type PlanFailure =
  | { reason: 'unknown-stage'; option: string; name: string; valid: string[] }
  | { reason: 'bad-selection'; message: string }
  | { reason: 'missing-upstream'; stage: string; upstream: string };

export type PlanResult = Result<PlannedStage[], PlanFailure>;

/** What planning reads besides the config and the state. */
export interface PlanInputs {
  hasher: FileHasher;
  secrets: SecretDigester;
  /** `.pipeline/`: where the stages' drift checks find their connections. */
  stateDir: string;
  /** Whether drift checks may start what they need (see DriftContext.mayStart). */
  mayStart: boolean;
  /**
   * Whether to check that what up-to-date stages made still exists (one Describe each); `false`
   * (`--no-refresh`, as Terraform's `-refresh=false`) trusts the state, for speed.
   */
  refresh: boolean;
}

interface SelectionWindow {
  selected(index: number): boolean;
  forcedBy(index: number): string | undefined;
  describe: string;
}

function selectionWindow(stages: readonly Stage[], selection: Selection): SelectionWindow | PlanFailure {
  const names = stages.map((s) => s.name);
  const indexOf = (option: string, name: string | undefined): number | PlanFailure | undefined => {
    if (name === undefined) return undefined;
    const index = names.indexOf(name);
    return index === -1 ? { reason: 'unknown-stage', option, name, valid: names } : index;
  };
  const from = indexOf('--from', selection.from);
  const to = indexOf('--to', selection.to);
  const only = indexOf('--only', selection.only);
  for (const found of [from, to, only]) if (typeof found === 'object') return found;
  if (only !== undefined && (from !== undefined || to !== undefined)) {
    return { reason: 'bad-selection', message: '--only cannot be combined with --from or --to' };
  }
  if (typeof from === 'number' && typeof to === 'number' && from > to) {
    return { reason: 'bad-selection', message: `--from ${selection.from} comes after --to ${selection.to}` };
  }
  const first = (only ?? from ?? 0) as number;
  const last = (only ?? to ?? names.length - 1) as number;
  const by = [
    selection.only && `--only ${selection.only}`,
    selection.from && `--from ${selection.from}`,
    selection.to && `--to ${selection.to}`,
  ]
    .filter(Boolean)
    .join(' ');
  return {
    selected: (index) => index >= first && index <= last,
    forcedBy: (index) => {
      if (index < first || index > last) return undefined;
      if (selection.force) return '--force';
      if (selection.only) return `--only ${selection.only}`;
      if (selection.from) return `--from ${selection.from}`;
      return undefined;
    },
    describe: by,
  };
}

/** Why a stage is stale, compared with its last success; empty when it is up to date. */
export function staleReasons(
  previous: StageState | undefined,
  snapshot: InputSnapshot,
  listings?: TreeListings,
): StaleReason[] {
  const success = previous?.lastSuccess;
  if (!success) return [{ kind: 'never-ran' }];
  const reasons = diffSnapshots(success.inputs, snapshot, listings);
  const attempt = previous.lastAttempt;
  if (reasons.length > 0 && attempt && attempt.runId !== success.runId) {
    if (attempt.status === 'failed')
      reasons.unshift({ kind: 'failed', message: attempt.error ?? 'unknown error' });
    if (attempt.status === 'interrupted' || attempt.status === 'running') {
      reasons.unshift({ kind: 'interrupted', ...(attempt.handle ? { handle: attempt.handle } : {}) });
    }
  }
  return reasons;
}

/**
 * For a stage about to be skipped as up to date: whether what its last success made still holds
 * (the stage's own drift check). A check that cannot be made does not stop the plan: it is said.
 */
export async function checkDrift(
  stage: Stage,
  previous: StageState | undefined,
  loaded: LoadedConfig,
  stateDir: string,
  mayStart: boolean,
  files: FileHasher,
): Promise<{ reason?: StaleReason; note?: string }> {
  const outputs = previous?.lastSuccess?.outputs;
  if (!stage.drift || !outputs) return {};
  try {
    const what = await stage.drift({
      config: loaded.config,
      projectDir: loaded.projectDir,
      stateDir,
      outputs,
      mayStart,
      files,
    });
    return what ? { reason: { kind: 'drifted', what } } : {};
  } catch (error) {
    return { note: `could not check that what it made still exists: ${(error as Error).message}` };
  }
}

export async function planRun(
  stages: readonly Stage[],
  state: PipelineState,
  loaded: LoadedConfig,
  selection: Selection,
  { hasher, secrets, stateDir, mayStart, refresh }: PlanInputs,
): Promise<PlanResult> {
  const window = selectionWindow(stages, selection);
  if ('reason' in window) return { ok: false, error: window };
  const planned: PlannedStage[] = [];
  const willRun = new Set<string>();

  for (const [index, stage] of stages.entries()) {
    const previous = state.stages[stage.name];
    const upstream: Record<string, StageOutputs | undefined> = {};
    for (const need of stage.needs) upstream[need] = state.stages[need]?.lastSuccess?.outputs;
    const snapshot = await snapshotInputs(stage, loaded.config, loaded.projectDir, upstream, hasher, secrets);
    const reasons = staleReasons(previous, snapshot, hasher.listings);
    const runningUpstream = stage.needs.filter((need) => willRun.has(need));
    for (const need of runningUpstream) {
      if (!reasons.some((r) => r.kind === 'upstream-changed' && r.stage === need)) {
        reasons.push({ kind: 'upstream-runs', stage: need });
      }
    }
    // Turned off by the config: skipped, and said why, whatever changed or was selected.
    const off = stage.disabled?.(loaded.config);
    if (off) {
      planned.push({
        name: stage.name,
        action: 'skip',
        reasons: [],
        forced: false,
        snapshot,
        skip: { kind: 'disabled', why: off },
      });
      continue;
    }
    const forcedBy = window.forcedBy(index);
    const selected = window.selected(index);
    let driftNote: string | undefined;
    if (refresh && reasons.length === 0 && selected && !forcedBy) {
      const drift = await checkDrift(stage, previous, loaded, stateDir, mayStart, hasher);
      if (drift.reason) reasons.push(drift.reason);
      driftNote = drift.note;
    }
    if (forcedBy) reasons.unshift({ kind: 'forced', by: forcedBy });
    const action = selected && reasons.length > 0 ? 'run' : 'skip';

    if (action === 'run') {
      const missing = stage.needs.find((need) => !willRun.has(need) && upstream[need] === undefined);
      if (missing)
        return { ok: false, error: { reason: 'missing-upstream', stage: stage.name, upstream: missing } };
      willRun.add(stage.name);
    }
    const note = [stage.note?.(loaded.config), driftNote].filter(Boolean).join('; ') || undefined;
    planned.push({
      name: stage.name,
      action,
      reasons,
      forced: forcedBy !== undefined,
      ...(note ? { note } : {}),
      snapshot,
      ...(runningUpstream.length === 0 ? { fingerprint: fingerprintOf(snapshot) } : {}),
      ...(action === 'skip'
        ? {
            skip: selected
              ? { kind: 'up-to-date' as const }
              : { kind: 'not-selected' as const, by: window.describe },
          }
        : {}),
    });
  }
  return { ok: true, value: planned };
}
