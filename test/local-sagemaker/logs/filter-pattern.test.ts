import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterOf } from '../../../src/local-sagemaker/logs/filter-pattern.js';

const EVENTS = [
  'INFO epoch 1 loss=0.52',
  'WARN learning rate too high',
  'ERROR out of memory',
  'ERROR Retrying the batch',
  'info lower case',
];
const matching = (pattern: string) => EVENTS.filter(filterOf(pattern));

describe('CloudWatch Logs filter patterns', () => {
  it('matches every term, and a quoted phrase as one, case-sensitively', () => {
    assert.deepEqual(matching('ERROR memory'), ['ERROR out of memory']);
    assert.deepEqual(matching('"learning rate"'), ['WARN learning rate too high']);
    assert.deepEqual(matching('INFO'), ['INFO epoch 1 loss=0.52']);
    assert.deepEqual(matching(''), EVENTS);
  });

  it('matches any of the ?-terms, with the other terms still required', () => {
    assert.deepEqual(matching('?ERROR ?WARN'), EVENTS.slice(1, 4));
    assert.deepEqual(matching('batch ?ERROR ?WARN'), ['ERROR Retrying the batch']);
    assert.deepEqual(matching('?"out of" ?loss'), ['INFO epoch 1 loss=0.52', 'ERROR out of memory']);
  });

  it('leaves out events with a -term', () => {
    assert.deepEqual(matching('ERROR -Retrying'), ['ERROR out of memory']);
    assert.deepEqual(matching('?ERROR ?WARN -"too high"'), [
      'ERROR out of memory',
      'ERROR Retrying the batch',
    ]);
  });

  it('matches a %regex%, and refuses one that does not compile and the JSON and space-delimited forms', () => {
    assert.deepEqual(matching('%loss=0\\.[0-9]+%'), ['INFO epoch 1 loss=0.52']);
    assert.deepEqual(matching('%^(WARN|ERROR) %'), EVENTS.slice(1, 4));
    assert.throws(() => filterOf('%(%'), { name: 'InvalidParameterException' });
    assert.throws(() => filterOf('{ $.level = "error" }'), /not supported by the local CloudWatch Logs/);
    assert.throws(() => filterOf('[ip, user]'), /not supported by the local CloudWatch Logs/);
  });
});
