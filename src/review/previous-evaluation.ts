// What a run's evaluation is compared with: the latest earlier run that evaluated (its metrics.json
// is written even when a gate is missed), as `runs` and `diff` list them, whether it passed or not;
// its settings compared with this run's from the two run records, as `diff` compares them.
import type { Change } from './flatten.js';
import { changes } from './flatten.js';
import { paramsOf } from './run-diff.js';
import { loadRuns } from './run-history.js';

export interface PreviousEvaluation {
  runId: string;
  metrics: Record<string, number>;
  /** The settings that changed from that run to this one. */
  changes: Change[];
  /** Why it is not a clean baseline: its gates were missed, or its run failed after evaluating. */
  outcome: 'passed' | 'gates missed' | 'run failed';
}

/** What a run's metrics.json keeps of its baseline (`comparedWith`): the settings' changes aside. */
export type ComparedWith = Omit<PreviousEvaluation, 'changes'>;

export const comparedWith = ({ changes: _changes, ...kept }: PreviousEvaluation): ComparedWith => kept;

export async function previousEvaluation(
  stateDir: string,
  runId: string,
): Promise<PreviousEvaluation | undefined> {
  const runs = await loadRuns(stateDir);
  // A damaged record elsewhere in the history does not stop an evaluation: nothing to compare.
  if (!runs.ok) return undefined;
  const current = runs.value.find((run) => run.record.id === runId);
  const before = runs.value.filter((run) => run.record.id < runId && run.metrics !== undefined).at(-1);
  if (!before?.metrics) return undefined;
  return {
    runId: before.record.id,
    metrics: before.metrics,
    changes: current ? changes(paramsOf(before), paramsOf(current)) : [],
    outcome:
      before.gatesPassed === false ? 'gates missed' : before.status === 'succeeded' ? 'passed' : 'run failed',
  };
}
