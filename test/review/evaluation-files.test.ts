// Hostile and careless evaluation files, each refused with the line it is on (or read right): a
// byte-order mark before the header, a header line sent as a row, a ragged row, an empty file,
// blank lines (which count in line numbers), NaN and 1e400 as values, an empty label cell, and a
// class label so large that a confusion matrix of it would take the machine's memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateRun } from '../../src/review/evaluate-run.js';
import { readEvaluationData } from '../../src/review/evaluation-data.js';
import { readPredictions, readTruth, readValues } from '../../src/review/labels.js';
import { withProject } from '../rig/project.js';

const refused = (read: () => unknown, message: RegExp) =>
  assert.throws(read, (error: Error) => {
    assert.match(error.message, message);
    return true;
  });

describe('evaluation files', () => {
  it('reads a header after a UTF-8 byte-order mark as the header', () => {
    const data = readEvaluationData('\uFEFFa,b,label\n1,2,0\n', 'eval.csv', {
      header: true,
      labelColumn: 'label',
    });
    assert.deepEqual(data.header, ['a', 'b', 'label']);
    assert.deepEqual(data.labels, ['0']);
    assert.deepEqual(readTruth('\uFEFF1\n0\n', 'truth.csv', 'index').labels, [1, 0]);
  });

  it('names the line of a header sent as a row, a ragged row, and an empty file', () => {
    refused(
      () => readEvaluationData('a,b\n1,2\n3,4\n', 'eval.csv', { header: false }),
      /^eval\.csv:1: "a,b" looks like a header .* set invoke\.header: true/,
    );
    refused(
      () => readEvaluationData('1,2\n\n\n3\n', 'eval.csv', { header: false }),
      /^eval\.csv:4: 1 cells where the first row has 2: "3"/,
    );
    refused(
      () => readEvaluationData('x,y\n1,2\n3,4,5\n', 'eval.csv', { header: true }),
      /^eval\.csv:3: 3 cells where the header has 2/,
    );
    refused(
      () => readEvaluationData('', 'eval.csv', { header: false }),
      /eval\.csv holds no rows: it is empty/,
    );
    refused(
      () => readEvaluationData('a,b\n', 'eval.csv', { header: true }),
      /eval\.csv holds no rows below its header/,
    );
    refused(
      () => readEvaluationData('a,label\n1,\n', 'eval.csv', { header: true, labelColumn: 'label' }),
      /^eval\.csv:2: the label column label is empty/,
    );
  });

  it('names the line of NaN, 1e400 and a class past what can be scored', () => {
    refused(() => readValues('1.5\n\nNaN\n', 'truth.csv'), /^truth\.csv:3, column 1: "NaN" is not a number/);
    refused(() => readValues('1e400\n', 'truth.csv'), /^truth\.csv:1, column 1: "1e400" is not a number/);
    refused(
      () => readTruth('0\n1\n999999\n', 'truth.csv', 'index'),
      /^truth\.csv:3: class 999999: at most 1000 classes .* evaluate\.task: regression/,
    );
    refused(() => readPredictions('0\n\n999999\n', 'predictions.txt'), /^predictions\.txt:3: class 999999/);
  });

  it('names the data file’s own line for a label read from its label column', async () => {
    await withProject(
      {
        'eval.csv': 'a,b,y\n1,2,1.5\n\n3,4,NaN\n',
        'predictions.txt': '1.4\n2.0\n',
      },
      async (project) => {
        const config = {
          name: 'labelled',
          target: 'local',
          training: { metricDefinitions: [] },
          invoke: { data: 'eval.csv', header: true, contentType: 'text/csv' },
        };
        await assert.rejects(
          evaluateRun({
            config: config as never,
            settings: { labelColumn: 'y', task: 'regression', labelFormat: 'one-hot', gates: [] } as never,
            projectDir: project.dir,
            runDir: project.path('.pipeline/runs/r1'),
            runId: 'r1',
            predictionsFile: 'predictions.txt',
            log: () => undefined,
          }),
          /eval\.csv \(column y\):4, column 1: "NaN" is not a number/,
        );
      },
    );
  });
});
