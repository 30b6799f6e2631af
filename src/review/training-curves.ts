// Per-epoch training curves from a training job's log: every line is matched against the
// MetricDefinitions, as SageMaker does for its metric graphs, and each match is the next point.
import type { MetricDefinition } from '../engine/config/pipeline-config.js';

export type Curves = Record<string, number[]>;

export function trainingCurves(log: string, definitions: readonly MetricDefinition[]): Curves {
  const patterns = definitions.map((definition) => ({
    name: definition.name,
    regex: new RegExp(definition.regex),
  }));
  const curves: Curves = {};
  for (const line of log.split('\n')) {
    for (const { name, regex } of patterns) {
      const value = Number(line.match(regex)?.[1]);
      if (!Number.isFinite(value)) continue;
      curves[name] ??= [];
      curves[name].push(value);
    }
  }
  return curves;
}
