// Gates against a number and against the serving model (`champion`), as evaluate checks them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkGates, describeMissedGates, isRelativeGate } from '../../src/review/gates.js';

describe('gates', () => {
  it('compares with the champion plus its offset, and says against what a gate missed', () => {
    const gates = ['accuracy >= champion - 0.01', 'log_loss <= champion', 'accuracy >= 0.9'];
    const results = checkGates(gates, { accuracy: 0.92, log_loss: 0.3 }, { accuracy: 0.94, log_loss: 0.25 });
    assert.deepEqual(
      results.map((r) => [r.gate, r.passed, Number(r.threshold.toFixed(4))]),
      [
        ['accuracy >= champion - 0.01', false, 0.93],
        ['log_loss <= champion', false, 0.25],
        ['accuracy >= 0.9', true, 0.9],
      ],
    );
    assert.deepEqual(describeMissedGates(results, ['accuracy', 'log_loss']), [
      `gate "accuracy >= champion - 0.01" missed: accuracy is 0.92, 0.01 short (the champion's, - 0.01: 0.93)`,
      `gate "log_loss <= champion" missed: log_loss is 0.3, 0.05 short (the champion's, + 0: 0.25)`,
    ]);
    assert.ok(isRelativeGate('accuracy >= champion + 0.5'));
    assert.ok(!isRelativeGate('accuracy >= 0.5'));
  });

  it('skips a gate against the champion on the first deploy, and misses one the champion has no metric for', () => {
    const [first] = checkGates(['accuracy >= champion'], { accuracy: 0.5 });
    assert.equal(first?.passed, true);
    assert.match(first?.skipped ?? '', /no model serves yet/);
    const missing = checkGates(['f1.1 >= champion'], { 'f1.1': 0.5 }, { accuracy: 0.9 });
    assert.equal(missing[0]?.passed, false);
    assert.deepEqual(describeMissedGates(missing, ['f1.1']), [
      'gate "f1.1 >= champion": the serving model has no metric f1.1 to compare with',
    ]);
  });
});
