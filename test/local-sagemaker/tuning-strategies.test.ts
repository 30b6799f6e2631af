// The local SageMaker's tuning strategies on objectives with a known optimum: Random and Grid as
// documented, Bayesian reproducible for a seed and better than Random at the same number of trials.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stopsEarly } from '../../src/local-sagemaker/sagemaker/tuning-job-runner.js';
import {
  gridPoints,
  type ParameterRange,
  type Point,
  proposeBayesian,
  proposeRandom,
  type Trial,
} from '../../src/local-sagemaker/sagemaker/tuning-strategies.js';

const RANGES: ParameterRange[] = [
  { kind: 'continuous', name: 'x', min: 0, max: 1, scaling: 'Linear' },
  { kind: 'continuous', name: 'learning_rate', min: 1e-4, max: 1, scaling: 'Logarithmic' },
  { kind: 'integer', name: 'layers', min: 1, max: 8, scaling: 'Linear' },
];

/** Highest (0) at x = 0.3, learning_rate = 0.01, layers = 5. */
const objective = (point: Point): number =>
  -((Number(point.x) - 0.3) ** 2) -
  ((Math.log10(Number(point.learning_rate)) + 2) / 4) ** 2 -
  ((Number(point.layers) - 5) / 7) ** 2;

/**
 * A tuning job's loop as the local SageMaker runs it, two at a time: proposal k learns from the
 * trials up to k - 2 and knows the one still running.
 */
function tune(propose: typeof proposeRandom, seed: number, trials: number, parallel = 2): Trial[] {
  const done: Trial[] = [];
  for (let index = 0; index < trials; index++) {
    const learned = done.slice(0, Math.max(0, index - parallel + 1));
    const pending = done.slice(learned.length, index).map((trial) => trial.point);
    const point = propose({ ranges: RANGES, maximize: true, seed, history: learned, pending, index });
    done.push({ point, objective: objective(point) });
  }
  return done;
}

const best = (trials: readonly Trial[]) => Math.max(...trials.map((trial) => trial.objective as number));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

describe('tuning strategies', () => {
  it('Random draws within each range along its scaling, the same points for the same seed', () => {
    const trials = tune(proposeRandom, 7, 200);
    for (const { point } of trials) {
      assert.ok(Number(point.x) >= 0 && Number(point.x) <= 1);
      assert.ok(Number(point.learning_rate) >= 1e-4 && Number(point.learning_rate) <= 1);
      assert.match(point.layers ?? '', /^[1-8]$/);
    }
    // Logarithmic: as many draws below 0.01 as above (two decades each side), not 1% of them.
    const below = trials.filter((trial) => Number(trial.point.learning_rate) < 0.01).length;
    assert.ok(below > 70 && below < 130, `${below} of 200 below 0.01`);
    assert.deepEqual(tune(proposeRandom, 7, 20), trials.slice(0, 20));
    assert.notDeepEqual(tune(proposeRandom, 8, 20), trials.slice(0, 20));
  });

  it('Grid runs every combination of the categorical values once', () => {
    const points = gridPoints([
      { kind: 'categorical', name: 'optimizer', values: ['adam', 'sgd'] },
      { kind: 'categorical', name: 'init', values: ['normal', 'uniform', 'zeros'] },
    ]);
    assert.equal(points.length, 6);
    assert.equal(new Set(points.map((point) => JSON.stringify(point))).size, 6);
    assert.deepEqual(points[0], { optimizer: 'adam', init: 'normal' });
    assert.throws(() => gridPoints(RANGES), /grid search takes categorical ranges only \(x\)/);
  });

  it('Bayesian with a fixed seed proposes the same trials twice, and another seed others', () => {
    const first = tune(proposeBayesian, 42, 12);
    assert.deepEqual(tune(proposeBayesian, 42, 12), first);
    assert.notDeepEqual(tune(proposeBayesian, 43, 12), first);
  });

  it('Bayesian reaches a better median objective than Random with the same number of trials', () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7];
    const bayesian = median(seeds.map((seed) => best(tune(proposeBayesian, seed, 16))));
    const random = median(seeds.map((seed) => best(tune(proposeRandom, seed, 16))));
    assert.ok(bayesian > random, `Bayesian ${bayesian} against Random ${random}`);
    // And close to the optimum (0): the distance a random search of 16 rarely gets to.
    assert.ok(bayesian > -0.01, `Bayesian's median best ${bayesian}`);
  });

  it('minimises as well as it maximises', () => {
    const loss = (point: Point) => -objective(point);
    const done: Trial[] = [];
    for (let index = 0; index < 14; index++) {
      const point = proposeBayesian({
        ranges: RANGES,
        maximize: false,
        seed: 3,
        history: done,
        pending: [],
        index,
      });
      done.push({ point, objective: loss(point) });
    }
    assert.ok(Math.min(...done.map((trial) => trial.objective as number)) < 0.02);
  });

  it('early stopping: the median rule over the running averages of the jobs before, at the same epoch', () => {
    const before = [
      [0.5, 0.6, 0.7],
      [0.4, 0.5, 0.6],
      [0.6, 0.7, 0.8],
    ];
    // Running averages at epoch 2: 0.55, 0.45, 0.65: the median is 0.55.
    assert.equal(stopsEarly([0.3, 0.5], before, true), true);
    assert.equal(stopsEarly([0.3, 0.6], before, true), false);
    // Minimising, a value above the median is the worse one.
    assert.equal(stopsEarly([0.3, 0.6], before, false), true);
    // Fewer than three jobs that got as far: no verdict.
    assert.equal(stopsEarly([0.1, 0.1, 0.1, 0.1], before, true), false);
    assert.equal(stopsEarly([0.1], before.slice(0, 2), true), false);
  });
});
