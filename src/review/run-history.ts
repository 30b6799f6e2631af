// The experiment history as `runs`, `show` and `diff` read it: every run record, with the metrics
// its evaluate stage wrote (runs/RUN_ID/metrics.json, present even when a gate was missed).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageOutputs } from '../engine/stage.js';
import {
  type DamagedRecord,
  type RecordedStatus,
  type RunRecord,
  readRunRecords,
  runsDir,
} from '../engine/state/run-record.js';
import { isProcessAlive } from '../shared/process-alive.js';
import type { Result } from '../shared/result.js';

const statusOf = (record: RunRecord): RunEntry['status'] =>
  record.status === 'running' && !isProcessAlive(record.pid) ? 'killed' : record.status;

export interface RunEntry {
  record: RunRecord;
  /** The record's status, with `killed` for a run left `running` by a process that is gone. */
  status: RecordedStatus | 'killed';
  /** The flat metrics of this run's evaluation, if it evaluated. */
  metrics?: Record<string, number>;
  /** Of those, the ones user stages wrote (their `metrics` files): shown as columns of their own. */
  userMetrics?: Record<string, number>;
  gatesPassed?: boolean;
}

export async function loadRuns(stateDir: string): Promise<Result<RunEntry[], DamagedRecord>> {
  const records = await readRunRecords(stateDir);
  if (!records.ok) return records;
  const entries = await Promise.all(
    records.value.map(async (record): Promise<RunEntry> => {
      const own = userStageMetrics(record);
      try {
        const file = join(runsDir(stateDir), record.id, 'metrics.json');
        const saved = JSON.parse(await readFile(file, 'utf8')) as {
          metrics: Record<string, number>;
          passed: boolean;
        };
        return {
          record,
          status: statusOf(record),
          metrics: { ...saved.metrics, ...own },
          ...(own ? { userMetrics: own } : {}),
          gatesPassed: saved.passed,
        };
      } catch {
        return { record, status: statusOf(record), ...(own ? { metrics: own, userMetrics: own } : {}) };
      }
    }),
  );
  return { ok: true, value: entries };
}

/**
 * The metrics user stages wrote in this run (their `metrics` files, as each stage recorded them):
 * a business metric beside accuracy in `runs`, `show` and `diff`.
 */
function userStageMetrics(record: RunRecord): Record<string, number> | undefined {
  let found: Record<string, number> | undefined;
  for (const stage of Object.values(record.stages)) {
    const metrics = stage.outputs?.userMetrics;
    if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) continue;
    for (const [name, value] of Object.entries(metrics))
      if (typeof value === 'number') {
        found ??= {};
        found[name] = value;
      }
  }
  return found;
}

export type RunLookup = { ok: true; run: RunEntry } | { ok: false; message: string };

/** A run by id, unique id prefix, `last`, or `last~N` (N runs before the last). */
export function findRun(runs: readonly RunEntry[], ref: string): RunLookup {
  const back = ref.match(/^last(?:~(\d+))?$/);
  if (back) {
    const run = runs[runs.length - 1 - Number(back[1] ?? 0)];
    return run ? { ok: true, run } : { ok: false, message: `there are only ${runs.length} runs` };
  }
  const matches = runs.filter((run) => run.record.id === ref || run.record.id.startsWith(ref));
  const exact = matches.find((run) => run.record.id === ref);
  if (exact) return { ok: true, run: exact };
  if (matches.length === 1) return { ok: true, run: matches[0] as RunEntry };
  if (matches.length === 0) {
    return { ok: false, message: `no run ${ref}; \`pipeline runs\` lists them` };
  }
  return { ok: false, message: `${ref} matches ${matches.length} runs: give more of the id` };
}

/** A stage's outputs as they stood in that run (run, or kept from an earlier run). */
export const outputsIn = (run: RunEntry, stage: string): StageOutputs | undefined =>
  run.record.stages[stage]?.outputs;
