// Gates: conditions on the metrics (`accuracy >= 0.9`) that a run must meet. A missed gate fails
// the run, which is what lets CI refuse a pull request that makes the model worse.
import { closest } from 'fastest-levenshtein';

export type GateResult = {
  gate: string;
  metric: string;
  operator: string;
  /** The number compared with: the gate's own, or the champion's value with its offset. */
  threshold: number;
  /** A gate against the serving model (`champion - 0.01`): the offset added to its value. */
  relative?: { offset: number };
  /** A relative gate with no champion to compare with (the first deploy): passed, not checked. */
  skipped?: string;
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

/** `champion`, `champion - 0.01`, `champion + 2`: the offset; undefined for a plain number. */
function championOffset(text: string): number | undefined {
  const match = /^champion(?:\s*([-+])\s*([0-9]+(?:\.[0-9]+)?))?$/.exec(text.trim());
  if (!match) return undefined;
  return match[1] === '-' ? -Number(match[2]) : Number(match[2] ?? 0);
}

/** Whether a gate compares with the serving model (`accuracy >= champion - 0.01`). */
export const isRelativeGate = (gate: string): boolean => /\bchampion\b/.test(gate);

/**
 * Each gate against the metrics; a gate against the champion against its metrics, with the offset,
 * or skipped when there is no champion (the first deploy).
 */
export function checkGates(
  gates: readonly string[],
  metrics: Readonly<Record<string, number>>,
  champion?: Readonly<Record<string, number>>,
): GateResult[] {
  return gates.map((gate) => {
    const match = gate.match(
      /^\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*(>=|<=|>|<|==)\s*(-?[0-9]+(?:\.[0-9]+)?|champion(?:\s*[-+]\s*[0-9]+(?:\.[0-9]+)?)?)\s*$/,
    );
    if (!match) throw new Error(`not a gate: ${gate}`);
    const [, metric = '', operator = '', text = ''] = match;
    const offset = championOffset(text);
    // A gate against the champion with nothing to compare with: skipped on the first deploy (no
    // champion), missed when the champion lacks the metric.
    const base = offset !== undefined ? champion?.[metric] : undefined;
    if (offset !== undefined && base === undefined)
      return {
        gate,
        metric,
        operator,
        threshold: Number.NaN,
        relative: { offset },
        value: metrics[metric] ?? null,
        passed: !champion,
        margin: null,
        ...(!champion
          ? { skipped: 'no model serves yet: the first deploy is gated on the absolute gates alone' }
          : {}),
      };
    const threshold = offset !== undefined ? (base as number) + offset : Number(text);
    const relative = offset !== undefined ? { relative: { offset } } : {};
    const value = metrics[metric];
    if (value === undefined) {
      return { gate, metric, operator, threshold, ...relative, value: null, passed: false, margin: null };
    }
    const lowerIsBetter = operator === '<=' || operator === '<';
    return {
      gate,
      metric,
      operator,
      threshold,
      ...relative,
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
      if (result.relative && Number.isNaN(result.threshold))
        return `gate "${result.gate}": the serving model has no metric ${result.metric} to compare with`;
      if (result.value === null) {
        const guess = known.length > 0 ? closest(result.metric, [...known]) : undefined;
        return `gate "${result.gate}": no metric ${result.metric}${guess ? ` (did you mean ${guess}?)` : ''}; the metrics are ${known.join(', ')}`;
      }
      const against = result.relative
        ? ` (the champion's, ${result.relative.offset >= 0 ? '+' : '-'} ${round(Math.abs(result.relative.offset))}: ${round(result.threshold)})`
        : '';
      return `gate "${result.gate}" missed: ${result.metric} is ${round(result.value)}, ${round(Math.abs(result.margin ?? 0))} short${against}`;
    });
}
