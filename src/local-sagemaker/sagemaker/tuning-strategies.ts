// How the local SageMaker's tuning jobs choose each training job's hyperparameters: Random and Grid
// as SageMaker documents them, and Bayesian optimisation with a Gaussian process (Matérn 5/2 kernel,
// its length scale and noise chosen by marginal likelihood) and expected improvement. Everything is
// seeded: one RandomSeed, one tuning history, the same proposals.
//
// Owned here rather than taken from a library: no maintained JavaScript Gaussian-process package
// fits (the few on npm are unmaintained or browser-only), and this is ~200 lines of linear algebra.

/** A hyperparameter range of the tuning job, as its ParameterRanges give it. */
export type ParameterRange =
  | { kind: 'integer'; name: string; min: number; max: number; scaling: Scaling }
  | { kind: 'continuous'; name: string; min: number; max: number; scaling: Scaling }
  | { kind: 'categorical'; name: string; values: readonly string[] };

export type Scaling = 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

/** One training job's tuned hyperparameters, as strings (SageMaker passes every value as one). */
export type Point = Record<string, string>;

export interface Trial {
  point: Point;
  /** Its objective, when it reported one. */
  objective?: number;
}

export interface StrategyInput {
  ranges: readonly ParameterRange[];
  maximize: boolean;
  seed: number;
  /** The trials with results to learn from: this job's that ended, then a warm start's parents'. */
  history: readonly Trial[];
  /** Proposed but without a result yet (running): a Bayesian proposal steers away from them. */
  pending: readonly Point[];
  /** Which proposal this is, from 0: a random one depends on the seed and this alone. */
  index: number;
}

/** A seeded generator (splitmix32): the same seed and draw order give the same numbers. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

// Auto is Linear here: SageMaker's own choice for Auto is not documented beyond "the best".
const isLog = (range: { scaling: Scaling }) => range.scaling === 'Logarithmic';
const isReverseLog = (range: { scaling: Scaling }) => range.scaling === 'ReverseLogarithmic';

/** A number range's value at u in [0, 1], along its scaling. */
function valueAt(range: Extract<ParameterRange, { min: number }>, u: number): number {
  const { min, max } = range;
  if (isLog(range)) return Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min)));
  // Reverse logarithmic (0 ≤ min < max < 1): dense near 1, as log(1 - x) spreads it.
  if (isReverseLog(range))
    return 1 - Math.exp(Math.log(1 - min) + u * (Math.log(1 - max) - Math.log(1 - min)));
  return min + u * (max - min);
}

/** Where a value lies in its range, in [0, 1], along its scaling: the inverse of valueAt. */
function positionOf(range: Extract<ParameterRange, { min: number }>, value: number): number {
  const { min, max } = range;
  const u = isLog(range)
    ? (Math.log(value) - Math.log(min)) / (Math.log(max) - Math.log(min))
    : isReverseLog(range)
      ? (Math.log(1 - value) - Math.log(1 - min)) / (Math.log(1 - max) - Math.log(1 - min))
      : (value - min) / (max - min || 1);
  return Math.min(1, Math.max(0, u));
}

const formatValue = (range: ParameterRange, value: number): string =>
  range.kind === 'integer' ? String(Math.round(value)) : String(Number(value.toPrecision(8)));

/** The point a vector of positions in [0, 1] (one per range, categorical by index) stands for. */
function pointAt(ranges: readonly ParameterRange[], positions: readonly number[]): Point {
  const point: Point = {};
  ranges.forEach((range, i) => {
    const u = positions[i] as number;
    if (range.kind === 'categorical')
      point[range.name] = range.values[
        Math.min(range.values.length - 1, Math.floor(u * range.values.length))
      ] as string;
    else if (range.kind === 'integer')
      point[range.name] = formatValue(
        range,
        Math.min(range.max, Math.max(range.min, Math.round(valueAt(range, u)))),
      );
    else point[range.name] = formatValue(range, valueAt(range, u));
  });
  return point;
}

/** A point as the Gaussian process sees it: numbers by position, categories one-hot. */
function featuresOf(ranges: readonly ParameterRange[], point: Point): number[] {
  return ranges.flatMap((range) => {
    const value = point[range.name] ?? '';
    if (range.kind === 'categorical') return range.values.map((candidate) => (candidate === value ? 1 : 0));
    return [positionOf(range, Number(value))];
  });
}

export function randomPoint(ranges: readonly ParameterRange[], random: () => number): Point {
  return pointAt(
    ranges,
    ranges.map(() => random()),
  );
}

/** Random search: proposal `index` of a seed is always the same point. */
export function proposeRandom(input: StrategyInput): Point {
  return randomPoint(input.ranges, seededRandom(input.seed + Math.imul(input.index + 1, 0x632be5ab)));
}

/**
 * Grid search: every combination of the categorical values, in order (the last range varying
 * fastest). SageMaker's grid takes categorical ranges only, and runs each combination once.
 */
export function gridPoints(ranges: readonly ParameterRange[]): Point[] {
  let points: Point[] = [{}];
  for (const range of ranges) {
    if (range.kind !== 'categorical')
      throw new Error(`grid search takes categorical ranges only (${range.name})`);
    points = points.flatMap((point) => range.values.map((value) => ({ ...point, [range.name]: value })));
  }
  return points;
}

// ---- Bayesian optimisation --------------------------------------------------------------------

/** Matérn 5/2 between two feature vectors at a length scale. */
function matern52(a: readonly number[], b: readonly number[], lengthScale: number): number {
  let squared = 0;
  for (let i = 0; i < a.length; i++) squared += ((a[i] as number) - (b[i] as number)) ** 2;
  const r = Math.sqrt(5 * squared) / lengthScale;
  return (1 + r + (r * r) / 3) * Math.exp(-r);
}

/** The lower Cholesky factor of a symmetric positive-definite matrix (undefined when it is not). */
function cholesky(matrix: number[][]): number[][] | undefined {
  const n = matrix.length;
  const lower = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = (matrix[i] as number[])[j] as number;
      for (let k = 0; k < j; k++)
        sum -= ((lower[i] as number[])[k] as number) * ((lower[j] as number[])[k] as number);
      if (i === j) {
        if (sum <= 0) return undefined;
        (lower[i] as number[])[i] = Math.sqrt(sum);
      } else (lower[i] as number[])[j] = sum / ((lower[j] as number[])[j] as number);
    }
  }
  return lower;
}

/** Solves L x = b (forward), then Lᵀ y = x (backward): y = (L Lᵀ)⁻¹ b. */
function solve(lower: number[][], b: readonly number[]): { forward: number[]; full: number[] } {
  const n = lower.length;
  const forward = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= ((lower[i] as number[])[k] as number) * (forward[k] as number);
    forward[i] = sum / ((lower[i] as number[])[i] as number);
  }
  const full = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let sum = forward[i] as number;
    for (let k = i + 1; k < n; k++) sum -= ((lower[k] as number[])[i] as number) * (full[k] as number);
    full[i] = sum / ((lower[i] as number[])[i] as number);
  }
  return { forward, full };
}

interface FittedProcess {
  predict(x: readonly number[]): { mean: number; sd: number };
}

/**
 * A Gaussian process on standardised targets, its length scale and noise the pair of a small grid
 * with the highest log marginal likelihood (type-II maximum likelihood, without a gradient).
 */
function fitProcess(xs: readonly number[][], ys: readonly number[]): FittedProcess | undefined {
  const mean = ys.reduce((s, y) => s + y, 0) / ys.length;
  const spread = Math.sqrt(ys.reduce((s, y) => s + (y - mean) ** 2, 0) / ys.length) || 1;
  const targets = ys.map((y) => (y - mean) / spread);
  let best: { likelihood: number; lengthScale: number; lower: number[][]; alpha: number[] } | undefined;
  for (const lengthScale of [0.1, 0.2, 0.35, 0.6, 1, 2]) {
    for (const noise of [1e-6, 1e-3, 1e-2, 0.1]) {
      const matrix = xs.map((a, i) => xs.map((b, j) => matern52(a, b, lengthScale) + (i === j ? noise : 0)));
      const lower = cholesky(matrix);
      if (!lower) continue;
      const { forward, full } = solve(lower, targets);
      const logDet = lower.reduce((s, row, i) => s + Math.log(row[i] as number), 0);
      const likelihood = -0.5 * forward.reduce((s, v) => s + v * v, 0) - logDet;
      if (!best || likelihood > best.likelihood) best = { likelihood, lengthScale, lower, alpha: full };
    }
  }
  if (!best) return undefined;
  const fitted = best;
  return {
    predict(x) {
      const k = xs.map((xi) => matern52(xi, x, fitted.lengthScale));
      const mu = k.reduce((s, ki, i) => s + ki * (fitted.alpha[i] as number), 0);
      const { forward } = solve(fitted.lower, k);
      const variance = Math.max(1e-12, 1 - forward.reduce((s, v) => s + v * v, 0));
      return { mean: mean + spread * mu, sd: spread * Math.sqrt(variance) };
    },
  };
}

/** The standard normal's density and distribution function (Abramowitz–Stegun 7.1.26 for erf). */
const pdf = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
function cdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const erf =
    1 -
    t *
      (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** How many trials are random before the Gaussian process has enough to go on. */
export const initialRandomTrials = (ranges: readonly ParameterRange[]): number =>
  Math.max(2, Math.min(5, ranges.length + 1));

/**
 * Bayesian optimisation: after a few random trials, the point of the highest expected improvement
 * over the best objective so far, among seeded random candidates and perturbations of the best
 * trials. Running trials count as results at the process's mean there (the "constant liar"), so
 * that parallel proposals spread out.
 */
export function proposeBayesian(input: StrategyInput): Point {
  const { ranges, seed, index } = input;
  const random = seededRandom(seed ^ Math.imul(index + 1, 0x27d4eb2d));
  const known = input.history.filter(
    (trial) => trial.objective !== undefined && Number.isFinite(trial.objective),
  );
  if (known.length < initialRandomTrials(ranges)) return proposeRandom(input);
  // Maximise internally: a minimised objective is negated.
  const sign = input.maximize ? 1 : -1;
  const xs = known.map((trial) => featuresOf(ranges, trial.point));
  const ys = known.map((trial) => sign * (trial.objective as number));
  let process = fitProcess(xs, ys);
  if (!process) return proposeRandom(input);
  if (input.pending.length > 0) {
    const fitted = process;
    const lies = input.pending.map((point) => featuresOf(ranges, point));
    process = fitProcess([...xs, ...lies], [...ys, ...lies.map((x) => fitted.predict(x).mean)]) ?? process;
  }
  const incumbent = Math.max(...ys);
  const taken = new Set([
    ...known.map((trial) => JSON.stringify(trial.point)),
    ...input.pending.map((p) => JSON.stringify(p)),
  ]);
  const ranked = [...known].sort((a, b) => sign * ((b.objective as number) - (a.objective as number)));
  const candidates: Point[] = [];
  for (let i = 0; i < 1500; i++) candidates.push(randomPoint(ranges, random));
  // Near the best trials: each position moved a little (categorical ones kept or redrawn).
  for (const trial of ranked.slice(0, 3)) {
    const base = ranges.map((range) =>
      range.kind === 'categorical' ? 0 : positionOf(range, Number(trial.point[range.name])),
    );
    for (let i = 0; i < 150; i++) {
      const moved = ranges.map((range, r) =>
        range.kind === 'categorical'
          ? random() < 0.8
            ? (range.values.indexOf(trial.point[range.name] ?? '') + 0.5) / range.values.length
            : random()
          : Math.min(1, Math.max(0, (base[r] as number) + (random() - 0.5) * 0.2)),
      );
      candidates.push(pointAt(ranges, moved));
    }
  }
  let chosen: Point | undefined;
  let bestImprovement = -1;
  for (const candidate of candidates) {
    if (taken.has(JSON.stringify(candidate))) continue;
    const { mean, sd } = process.predict(featuresOf(ranges, candidate));
    const z = (mean - incumbent) / sd;
    const improvement = (mean - incumbent) * cdf(z) + sd * pdf(z);
    if (improvement > bestImprovement) {
      bestImprovement = improvement;
      chosen = candidate;
    }
  }
  return chosen ?? proposeRandom(input);
}
