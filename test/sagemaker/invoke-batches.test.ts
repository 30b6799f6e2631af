// Batching the evaluation rows: at most batchSize rows and under 6 MiB per request, rows whole.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { readEvaluationData } from '../../src/review/evaluation-data.js';
import {
  batchRows,
  invokeInBatches,
  MAX_PAYLOAD_BYTES,
  predictionLines,
} from '../../src/sagemaker/invoke-batches.js';
import { isJsonDocument, recordsBody } from '../../src/shared/record-body.js';
import { TEST_KEY } from '../rig/test-key.js';

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

  it('cuts where the exact UTF-8 size of the rows says, whatever their characters', () => {
    // Greedy by exact size: what batchRows must give, however it counts.
    const reference = (rows: string[], batchSize: number, maxBytes: number) => {
      const batches: [number, number][] = [];
      let start = 0;
      let bytes = 0;
      rows.forEach((row, index) => {
        const size = Buffer.byteLength(row) + 1;
        if (index > start && (index - start >= batchSize || bytes + size > maxBytes)) {
          batches.push([start, index]);
          start = index;
          bytes = 0;
        }
        bytes += size;
      });
      if (start < rows.length) batches.push([start, rows.length]);
      return batches;
    };
    const alphabet = ['a', '7', ',', 'é', '€', '😀'];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 50; trial++) {
      // Some long ASCII rows: their bound (3 bytes a character) is over the limit, their size is not.
      const rows = Array.from({ length: 1 + random(60) }, () =>
        random(10) === 0
          ? 'a'.repeat(100 + random(29))
          : Array.from({ length: random(30) }, () => alphabet[random(alphabet.length)]).join(''),
      );
      const maxBytes = 130 + random(300);
      const batchSize = 1 + random(20);
      assert.deepEqual(batchRows(rows, batchSize, maxBytes), reference(rows, batchSize, maxBytes));
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

describe('rows as a JSON document', () => {
  it('are sent as one JSON array per request, and read from a JSON array file', async () => {
    assert.equal(isJsonDocument('application/json'), true);
    assert.equal(isJsonDocument('application/jsonlines'), false);
    assert.equal(recordsBody(['{"a":1}', '[2,3]'], 'application/json'), '[{"a":1},[2,3]]');
    assert.equal(recordsBody(['1,2', '3,4'], 'text/csv'), '1,2\n3,4\n');
    const data = readEvaluationData('[{"x":1,"label":"cat"},{"x":5,"label":"dog"}]', 'd.json', {
      header: false,
      contentType: 'application/json',
      labelColumn: 'label',
    });
    assert.deepEqual(data, { rows: ['{"x":1}', '{"x":5}'], lines: [1, 2], labels: ['cat', 'dog'] });
    assert.deepEqual(
      readEvaluationData('[[1,2,0],[3,4,1]]', 'd.json', {
        header: false,
        contentType: 'application/json',
        labelColumn: -1,
      }),
      { rows: ['[1,2]', '[3,4]'], lines: [1, 2], labels: ['0', '1'] },
    );

    // Through the real runtime client to a server that reads each request as a JSON array.
    const bodies: unknown[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const rows = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { x: number }[];
        bodies.push(rows);
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ predictions: rows.map((row) => (row.x > 2 ? 'dog' : 'cat')) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const runtime = new SageMakerRuntimeClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: TEST_KEY,
    });
    try {
      const result = await invokeInBatches({
        connection: { runtime },
        endpointName: 'json-model',
        rows: ['{"x":1}', '{"x":5}', '{"x":3}'],
        contentType: 'application/json',
        accept: 'application/json',
        batchSize: 2,
        concurrency: 1,
        step: () => undefined,
        progress: () => undefined,
        log: () => undefined,
        signal: new AbortController().signal,
      });
      assert.deepEqual(result.predictions, ['cat', 'dog', 'dog']);
      assert.deepEqual(bodies, [[{ x: 1 }, { x: 5 }], [{ x: 3 }]]);
    } finally {
      runtime.destroy();
      server.close();
    }
  });
});
