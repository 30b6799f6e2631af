// Batching the evaluation rows: at most batchSize rows and under 6 MiB per request, rows whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchRows, MAX_PAYLOAD_BYTES, predictionLines } from '../../src/sagemaker/invoke-batches.js';

describe('batchRows', () => {
  it('groups rows by count', () => {
    const rows = Array.from({ length: 7 }, (_, i) => `${i},${i}`);
    assert.deepEqual(batchRows(rows, 3), [
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
  });

  it('starts a new request before the byte limit, never splitting a row', () => {
    const row = 'x'.repeat(99); // 100 bytes with its newline
    const rows = Array.from({ length: 10 }, () => row);
    assert.deepEqual(batchRows(rows, 1000, 350), [
      [0, 3],
      [3, 6],
      [6, 9],
      [9, 10],
    ]);
  });

  it('keeps real requests under 6 MiB', () => {
    const rows = Array.from({ length: 200_000 }, () => '0.123456789,0.987654321,0.5,0.25');
    for (const [start, end] of batchRows(rows, 1_000_000)) {
      const bytes = Buffer.byteLength(`${rows.slice(start, end).join('\n')}\n`);
      assert.ok(bytes <= MAX_PAYLOAD_BYTES, `${bytes}`);
    }
  });

  it('refuses a single row over the limit, naming it', () => {
    assert.throws(
      () => batchRows(['small', 'x'.repeat(500)], 10, 100),
      /row 2 of the invoke data is 501 bytes/,
    );
  });

  it('has no batch for no rows', () => {
    assert.deepEqual(batchRows([], 10), []);
  });
});

describe('predictionLines', () => {
  it('reads CSV, JSON arrays, {"predictions": [...]} and JSON lines as one line per row', () => {
    assert.deepEqual(predictionLines('0.1,0.9\n0.8,0.2\n', 'text/csv'), ['0.1,0.9', '0.8,0.2']);
    assert.deepEqual(predictionLines('[[0.1,0.9],[0.8,0.2]]', 'application/json'), ['0.1,0.9', '0.8,0.2']);
    assert.deepEqual(predictionLines('{"predictions":[[0.1,0.9],[0.8,0.2]]}', 'application/json'), [
      '0.1,0.9',
      '0.8,0.2',
    ]);
    assert.deepEqual(predictionLines('{"label":1}\n{"label":0}\n', 'application/jsonlines'), [
      '{"label":1}',
      '{"label":0}',
    ]);
  });
});
