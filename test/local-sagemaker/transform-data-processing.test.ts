// The JSONPath filters of a batch transform's DataProcessing, on records as SageMaker sees them:
// a CSV line as the array of its fields, a JSON line as its value; and the join of a record with
// its answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyJsonPath,
  joinRecord,
  parseJsonPath,
  recordText,
  recordValue,
} from '../../src/shared/transform-records.js';

const filter = (expression: string, value: unknown) =>
  applyJsonPath(value, parseJsonPath(expression, 'InputFilter'));

describe('batch transform data processing', () => {
  it('selects as SageMaker documents: the whole, a member, members, indexes, slices, negative ends', () => {
    const csv = recordValue('id-1,0.5,0.25,x', 'csv');
    assert.deepEqual(filter('$', csv), ['id-1', '0.5', '0.25', 'x']);
    assert.deepEqual(filter('$[1:]', csv), ['0.5', '0.25', 'x']);
    assert.deepEqual(filter('$[1:3]', csv), ['0.5', '0.25']);
    assert.deepEqual(filter('$[0,-1]', csv), ['id-1', 'x']);
    assert.deepEqual(filter('$[0,2:]', csv), ['id-1', '0.25', 'x']);
    assert.equal(filter('$[-1]', csv), 'x');
    assert.equal(recordText(filter('$[1:]', csv), 'csv'), '0.5,0.25,x');
    const json = recordValue('{"id":7,"features":[1,2],"meta":{"a":1}}', 'json');
    assert.deepEqual(filter('$.features', json), [1, 2]);
    assert.deepEqual(filter("$['id','features']", json), { id: 7, features: [1, 2] });
    assert.equal(filter('$.meta.a', json), 1);
    assert.deepEqual(filter('$.*', { a: 1, b: 2 }), [1, 2]);
  });

  it('joins a CSV record with its answer by appending it, a JSON one as SageMakerOutput', () => {
    assert.deepEqual(joinRecord(['id-1', '0.5'], ['0.9', '0.1'], 'csv'), ['id-1', '0.5', '0.9', '0.1']);
    assert.deepEqual(joinRecord({ id: 7 }, { label: 1 }, 'json'), { id: 7, SageMakerOutput: { label: 1 } });
  });

  it('refuses what is not SageMaker’s JSONPath, naming the member', () => {
    assert.throws(
      () => parseJsonPath('features', 'InputFilter'),
      /InputFilter "features" .* must start with \$/,
    );
    assert.throws(
      () => parseJsonPath('$..a', 'OutputFilter'),
      /OutputFilter "\$\.\.a" .* cannot read "\.\.a"/,
    );
    assert.throws(() => parseJsonPath('$[a]', 'InputFilter'), /cannot read "\[a\]"/);
  });
});
