// Staleness reasons name exactly what changed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InputSnapshot } from '../../../src/engine/plan/input-snapshot.js';
import { describeReason, diffSnapshots } from '../../../src/engine/plan/stale-reason.js';
import { canonicalJson } from '../../../src/shared/canonical-json.js';

const snapshot = (overrides: Partial<InputSnapshot> = {}): InputSnapshot => ({
  stageVersion: 1,
  config: { training: { hyperparameters: { epochs: 200, lr: 0.1 }, instanceType: 'ml.m5.large' } },
  files: { 'data/train.csv': 'aaa', 'data/old.csv': 'ccc' },
  upstream: { build: 'h1' },
  ...overrides,
});

describe('diffSnapshots', () => {
  it('finds nothing between equal snapshots, whatever their key order', () => {
    const reordered = JSON.parse(canonicalJson(snapshot())) as InputSnapshot;
    assert.deepEqual(diffSnapshots(snapshot(), reordered), []);
  });

  it('names each changed config leaf with its old and new value', () => {
    const after = snapshot({
      config: {
        training: { hyperparameters: { epochs: 300, lr: 0.1, momentum: 0.9 }, instanceType: 'ml.m5.large' },
      },
    });
    const reasons = diffSnapshots(snapshot(), after).map(describeReason);
    assert.deepEqual(reasons, [
      'training.hyperparameters.epochs: 200 → 300',
      'training.hyperparameters.momentum: (unset) → 0.9',
    ]);
  });

  it('names added, removed and modified files, upstream changes and a new stage version', () => {
    const after = snapshot({
      stageVersion: 2,
      files: { 'data/train.csv': 'bbb', 'data/new.csv': 'ddd' },
      upstream: { build: 'h2' },
    });
    assert.deepEqual(diffSnapshots(snapshot(), after).map(describeReason), [
      'stage definition changed (v1 → v2)',
      'data/train.csv modified',
      'data/old.csv removed',
      'data/new.csv added',
      "build's outputs changed",
    ]);
  });
});
