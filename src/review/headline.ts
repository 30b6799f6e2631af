// What a run's summary ends with: the headline metrics of the pipeline's evaluation, how they
// changed since the latest earlier run that evaluated, and where the report is. The evaluation is
// this run's when it evaluated (passed or not); else the one in force (evaluate up to date).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineState } from '../engine/state/pipeline-state.js';
import type { RunRecord } from '../engine/state/run-record.js';
import { pipelinePaths } from '../shared/pipeline-paths.js';
import { HEADLINE_METRICS } from './metric-direction.js';
import type { ComparedWith } from './previous-evaluation.js';

export interface Headline {
  /** The run whose evaluation this is. */
  runId: string;
  /** Evaluated by the run being summarised (else: up to date, from an earlier run). */
  fresh: boolean;
  passed: boolean;
  /** The metrics shown, in order: the usual headline ones, then those the gates name. */
  metrics: [name: string, value: number][];
  /** Only for a fresh evaluation: what it is compared with. */
  previous?: ComparedWith;
  /** report.html, absolute. */
  report: string;
}

interface SavedEvaluation {
  metrics: Record<string, number>;
  gates?: { metric: string; passed: boolean }[];
  passed?: boolean;
  /** The evaluation's baseline, as evaluate found it in the history. */
  comparedWith?: ComparedWith;
}

function shown(saved: SavedEvaluation): [string, number][] {
  const names = [
    ...HEADLINE_METRICS.filter((name) => saved.metrics[name] !== undefined),
    ...(saved.gates ?? []).map((gate) => gate.metric),
  ];
  const unique = [...new Set(names)].filter((name) => saved.metrics[name] !== undefined);
  // An evaluation with none of the usual names (regression's are among them): its first few.
  const chosen =
    unique.length > 0
      ? unique
      : Object.keys(saved.metrics)
          .filter((name) => !name.includes('.'))
          .slice(0, 4);
  return chosen.map((name) => [name, saved.metrics[name] as number]);
}

/** The headline of a run, or undefined when the pipeline has no evaluation to show. */
export async function headlineOf(
  record: RunRecord,
  state: PipelineState,
  stateDir: string,
): Promise<Headline | undefined> {
  const action = record.stages.evaluate?.action;
  if (action === 'ran' || action === 'failed') {
    const dir = pipelinePaths.runFiles(stateDir, record.id);
    const saved = await readSaved(join(dir, 'metrics.json'));
    if (!saved) return undefined;
    const previous = saved.comparedWith;
    return {
      runId: record.id,
      fresh: true,
      passed: saved.passed !== false && action === 'ran',
      metrics: shown(saved),
      ...(previous ? { previous } : {}),
      report: join(dir, 'report.html'),
    };
  }
  const success = state.stages.evaluate?.lastSuccess;
  const outputs = success?.outputs as SavedEvaluation | undefined;
  if (!success || !outputs?.metrics) return undefined;
  return {
    runId: success.runId,
    fresh: false,
    passed: true,
    metrics: shown(outputs),
    report: join(pipelinePaths.runFiles(stateDir, success.runId), 'report.html'),
  };
}

async function readSaved(file: string): Promise<SavedEvaluation | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SavedEvaluation;
  } catch {
    return undefined;
  }
}
