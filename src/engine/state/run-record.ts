// One file per `pipeline run` under .pipeline/runs/: what was asked, the resolved config, what
// each stage was made of and produced, and how the run ended. `runs` and `diff` read these.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import type { Result } from '../../shared/result.js';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import type { InputSnapshot } from '../plan/input-snapshot.js';
import type { StaleReason } from '../plan/stale-reason.js';
import type { JsonValue, StageOutputs } from '../stage.js';
import type { GitInfo } from './git-info.js';
import type { StageSkip } from './stage-skip.js';
import { runRecordProblem } from './state-file-shape.js';

export type RunStatus = 'succeeded' | 'failed' | 'interrupted';
/** In a record: `running` until the run ends; a record left `running` by a dead process was killed. */
export type RecordedStatus = RunStatus | 'running';

export interface StageRecord {
  action: 'ran' | 'skipped' | 'failed' | 'interrupted' | 'not-run';
  /** Why it ran; for a skipped stage, why it would have. */
  reasons: StaleReason[];
  /** Why it did not run. */
  skip?: StageSkip;
  fingerprint?: string;
  inputs?: InputSnapshot;
  outputs?: StageOutputs;
  durationMs?: number;
  error?: string;
}

export interface RunRecord {
  id: string;
  pipeline: string;
  status: RecordedStatus;
  /** The CLI process that ran it: a `running` record whose process is gone was killed. */
  pid?: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  argv: string[];
  environment?: string;
  target: string;
  git?: GitInfo;
  config: unknown;
  stages: Record<string, StageRecord>;
  /**
   * What the run cost, and was projected to cost, at the project's prices: written by the CLI when
   * the run ends (src/review/run-cost.ts gives its shape; the engine knows nothing of prices).
   */
  cost?: { [key: string]: JsonValue };
}

export const runsDir = pipelinePaths.runs;

/** Sortable by time (to the millisecond), unique within a machine: 20261124T174507.123Z-4f2a. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

export const runRecordFile = (stateDir: string, id: string): string => join(runsDir(stateDir), `${id}.json`);

export async function writeRunRecord(stateDir: string, record: RunRecord): Promise<string> {
  const dir = runsDir(stateDir);
  await mkdir(dir, { recursive: true });
  const file = runRecordFile(stateDir, record.id);
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** A run record that cannot be used, and why. */
export interface DamagedRecord {
  file: string;
  detail: string;
}

/**
 * All run records, oldest first. Records are written atomically, so a record that cannot be read
 * or is of another shape is damaged, and said to be: the history is never shown with holes.
 */
export async function readRunRecords(stateDir: string): Promise<Result<RunRecord[], DamagedRecord>> {
  let names: string[];
  try {
    names = await readdir(runsDir(stateDir));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: true, value: [] };
    return { ok: false, error: { file: runsDir(stateDir), detail: (error as Error).message } };
  }
  const records: RunRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = join(runsDir(stateDir), name);
    const damaged = (detail: string) => ({ ok: false as const, error: { file, detail } });
    let value: unknown;
    try {
      value = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return damaged(code === 'EISDIR' ? 'it is a folder, not a file' : (error as Error).message);
    }
    const problem = runRecordProblem(value);
    if (problem) return damaged(problem);
    records.push(value as RunRecord);
  }
  return { ok: true, value: records };
}
