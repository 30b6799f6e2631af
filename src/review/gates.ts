// Gates: conditions on the metrics (`accuracy >= 0.9`) that a run must meet. A missed gate fails
// the run, which is what lets CI refuse a pull request that makes the model worse.
import { closest } from 'fastest-levenshtein';

export type GateResult = {
  gate: string;
  metric: string;
  operator: string;
  threshold: number;
  /** Absent when the metric is not known (a typo, or log loss without probabilities). */
  value: number | null;
  passed: boolean;
  /** How far the value is from the threshold, signed so that negative means missed. */
  margin: number | null;
};

const OPERATORS: Record<string, (value: number, threshold: number) => boolean> = {
  '>=': (v, t) => v >= t,
  '<=': (v, t) => v <= t,
  '>': (v, t) => v > t,
  '<': (v, t) => v < t,
  '==': (v, t) => Math.abs(v - t) < 1e-12,
};

export function checkGates(
  gates: readonly string[],
  metrics: Readonly<Record<string, number>>,
): GateResult[] {
  return gates.map((gate) => {
    const match = gate.match(/^\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*(>=|<=|>|<|==)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$/);
    if (!match) throw new Error(`not a gate: ${gate}`);
    const [, metric = '', operator = '', text = ''] = match;
    const threshold = Number(text);
    const value = metrics[metric];
    if (value === undefined) {
      return { gate, metric, operator, threshold, value: null, passed: false, margin: null };
    }
    const lowerIsBetter = operator === '<=' || operator === '<';
    return {
      gate,
      metric,
      operator,
      threshold,
      value,
      passed: (OPERATORS[operator] as (v: number, t: number) => boolean)(value, threshold),
      margin: lowerIsBetter ? threshold - value : value - threshold,
    };
  });
}

const round = (value: number): string => String(Number(value.toPrecision(4)));

/** One line per missed gate: which, by how much, or that the metric is unknown. */
export function describeMissedGates(results: readonly GateResult[], known: readonly string[]): string[] {
  return results
    .filter((result) => !result.passed)
    .map((result) => {
      if (result.value === null) {
        const guess = known.length > 0 ? closest(result.metric, [...known]) : undefined;
        return `gate "${result.gate}": no metric ${result.metric}${guess ? ` (did you mean ${guess}?)` : ''}; the metrics are ${known.join(', ')}`;
      }
      return `gate "${result.gate}" missed: ${result.metric} is ${round(result.value)}, ${round(Math.abs(result.margin ?? 0))} short`;
    });
}
