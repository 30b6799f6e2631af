// Metrics against cases computed by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateRun } from '../../src/review/evaluate-run.js';
import { readEvaluationData } from '../../src/review/evaluation-data.js';
import { checkGates, describeMissedGates } from '../../src/review/gates.js';
import { readPredictions, readTruth } from '../../src/review/labels.js';
import { computeMetrics, flatMetrics, rocAuc } from '../../src/review/metrics.js';
import { computeRegressionMetrics, flatRegressionMetrics } from '../../src/review/regression-metrics.js';
import { StageError } from '../../src/shared/errors.js';
import { withProject } from '../rig/project.js';

const close = (actual: number | undefined, expected: number, what: string) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

describe('computeMetrics', () => {
  it('matches a hand-computed three-class case, including a class never predicted', () => {
    // truth:     0 0 0 1 1 2 2
    // predicted: 0 0 1 1 1 1 0   (class 2 is never predicted)
    const metrics = computeMetrics({
      truth: [0, 0, 0, 1, 1, 2, 2],
      predicted: [0, 0, 1, 1, 1, 1, 0],
      classes: ['a', 'b', 'c'],
    });
    assert.deepEqual(metrics.confusion, [
      [2, 1, 0],
      [0, 2, 0],
      [1, 1, 0],
    ]);
    close(metrics.accuracy, 4 / 7, 'accuracy');
    // a: TP 2, predicted 3, support 3 → P 2/3, R 2/3, F1 2/3
    // b: TP 2, predicted 4, support 2 → P 1/2, R 1, F1 2/3
    // c: TP 0, predicted 0, support 2 → P 0 (never predicted), R 0, F1 0
    const [a, b, c] = metrics.perClass;
    close(a?.precision, 2 / 3, 'precision a');
    close(a?.recall, 2 / 3, 'recall a');
    close(b?.precision, 1 / 2, 'precision b');
    close(b?.recall, 1, 'recall b');
    close(b?.f1, 2 / 3, 'f1 b');
    assert.deepEqual([c?.precision, c?.recall, c?.f1, c?.support], [0, 0, 0, 2]);
    close(metrics.macroPrecision, (2 / 3 + 1 / 2 + 0) / 3, 'macro precision');
    close(metrics.macroRecall, (2 / 3 + 1 + 0) / 3, 'macro recall');
    close(metrics.macroF1, (2 / 3 + 2 / 3 + 0) / 3, 'macro F1');
    assert.deepEqual(metrics.warnings, ['class c was never predicted: its precision counts as 0']);
    assert.equal(metrics.logLoss, undefined);
    assert.equal(metrics.rocAuc, undefined);
  });

  it('computes log loss and ROC AUC from two-class probabilities', () => {
    const metrics = computeMetrics({
      truth: [1, 0, 1, 0],
      predicted: [1, 0, 0, 0],
      probabilities: [
        [0.2, 0.8],
        [0.9, 0.1],
        [0.6, 0.4],
        [0.7, 0.3],
      ],
      classes: ['0', '1'],
    });
    // -(ln .8 + ln .9 + ln .4 + ln .7) / 4
    close(metrics.logLoss, -(Math.log(0.8) + Math.log(0.9) + Math.log(0.4) + Math.log(0.7)) / 4, 'log loss');
    // positives score .8 and .4; negatives .1 and .3: 4 pairs, all ranked right
    close(metrics.rocAuc, 1, 'roc auc');
    close(metrics.accuracy, 0.75, 'accuracy');
  });

  it('counts tied scores as half in ROC AUC', () => {
    close(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]), (1 + 1 + 0.5 + 1) / 4, 'auc with a tie');
    assert.equal(rocAuc([1, 1], [0.2, 0.3]), undefined, 'one class only');
  });

  it('names every metric for gates', () => {
    const flat = flatMetrics(
      computeMetrics({
        truth: [0, 1],
        predicted: [0, 1],
        probabilities: [
          [1, 0],
          [0, 1],
        ],
        classes: ['no', 'yes'],
      }),
    );
    assert.deepEqual(Object.keys(flat), [
      'accuracy',
      'macro_precision',
      'macro_recall',
      'macro_f1',
      'log_loss',
      'roc_auc',
      'precision.no',
      'recall.no',
      'f1.no',
      'precision.yes',
      'recall.yes',
      'f1.yes',
    ]);
  });
});

describe('gates', () => {
  it('passes and misses, saying by how much', () => {
    const results = checkGates(['accuracy >= 0.9', 'log_loss <= 0.2', 'macro_f1 > 0.5'], {
      accuracy: 0.8667,
      log_loss: 0.25,
      macro_f1: 0.9,
    });
    assert.deepEqual(
      results.map((r) => r.passed),
      [false, false, true],
    );
    assert.deepEqual(describeMissedGates(results, ['accuracy', 'log_loss', 'macro_f1']), [
      'gate "accuracy >= 0.9" missed: accuracy is 0.8667, 0.0333 short',
      'gate "log_loss <= 0.2" missed: log_loss is 0.25, 0.05 short',
    ]);
  });

  it('fails a gate on an unknown metric with a suggestion', () => {
    const results = checkGates(['acuracy >= 0.9'], { accuracy: 1 });
    assert.equal(results[0]?.passed, false);
    assert.match(
      describeMissedGates(results, ['accuracy'])[0] ?? '',
      /no metric acuracy \(did you mean accuracy\?\)/,
    );
  });
});

describe('reading labels', () => {
  it('reads one-hot rows (as the original eval_pred.csv), indexes and names', () => {
    assert.deepEqual(readTruth('0,1\n1.0000e+00,0.0000e+00\n', 't.csv', 'one-hot').labels, [1, 0]);
    assert.deepEqual(readTruth('2\n0\n', 't.csv', 'index').labels, [2, 0]);
    assert.deepEqual(readTruth('cat\n"dog"\n', 't.csv', 'name', ['dog', 'cat']).labels, [1, 0]);
  });

  it('names the bad row', () => {
    assert.throws(() => readTruth('0,1\n1,1\n', 't.csv', 'one-hot'), /t\.csv:2: "1,1" is not a one-hot row/);
    assert.throws(
      () => readTruth('0,1\n1\n', 't.csv', 'one-hot'),
      /t\.csv:2: 1 columns where the first row has 2/,
    );
    assert.throws(
      () => readTruth('bird\n', 't.csv', 'name', ['dog', 'cat']),
      /t\.csv:1: "bird" is not one of/,
    );
    assert.throws(() => readPredictions('0.1,0.9\n0.5,x\n', 'p.txt'), StageError);
  });

  it('reads probabilities (CSV or JSON arrays) and single class answers', () => {
    const csv = readPredictions('0.1,0.9\n0.8,0.2\n', 'p');
    assert.deepEqual(csv.labels, [1, 0]);
    assert.equal(csv.classCount, 2);
    assert.deepEqual(readPredictions('[0.1,0.9]\n[0.8,0.2]\n', 'p').labels, [1, 0]);
    assert.deepEqual(readPredictions('1\n0\n', 'p').labels, [1, 0]);
    assert.deepEqual(readPredictions('cat\ndog\n', 'p', ['dog', 'cat']).labels, [1, 0]);
    // JSON objects per row (JSON lines, or the objects of a JSON answer, one per line).
    const objects = '{"label":"cat","scores":[0.2,0.8]}\n{"label":"dog","scores":[0.9,0.1]}\n';
    assert.deepEqual(readPredictions(objects, 'p', ['dog', 'cat'], 'label').labels, [1, 0]);
    const scored = readPredictions(objects, 'p', ['dog', 'cat'], 'scores');
    assert.deepEqual(scored.labels, [1, 0]);
    assert.deepEqual(scored.probabilities, [
      [0.2, 0.8],
      [0.9, 0.1],
    ]);
    assert.deepEqual(
      readPredictions('{"result":{"class":1}}\n{"result":{"class":0}}\n', 'p', undefined, 'result.class')
        .labels,
      [1, 0],
    );
    assert.throws(
      () => readPredictions(objects, 'p.txt'),
      /p\.txt:1: the predictions are JSON objects \(members: label, scores\): set evaluate\.predictionField/,
    );
    assert.throws(
      () => readPredictions(objects, 'p.txt', undefined, 'missing'),
      /p\.txt:1: evaluate\.predictionField "missing" is not in this row/,
    );
  });
});

describe('regression', () => {
  it('computes mae, rmse, r2 and the mean error as scikit-learn does', () => {
    const metrics = computeRegressionMetrics([1, 2, 3, 4], [1, 2, 3, 5]);
    assert.equal(metrics.mae, 0.25);
    assert.equal(metrics.rmse, 0.5);
    assert.ok(Math.abs(metrics.r2 - 0.8) < 1e-12);
    assert.equal(metrics.meanError, 0.25);
    assert.deepEqual(flatRegressionMetrics(metrics), {
      mae: 0.25,
      rmse: 0.5,
      r2: metrics.r2,
      mean_error: 0.25,
    });
    assert.equal(computeRegressionMetrics([2, 2], [2, 2]).r2, 1);
    assert.equal(computeRegressionMetrics([2, 2], [1, 3]).r2, 0);
  });

  it('scores a run: values from CSV or JSON objects, gates on rmse and r2, a report with the scatter plot', async () => {
    await withProject(
      {
        'truth.csv': '1.0\n2.0\n3.0\n4.0\n',
        'predictions.txt': '{"value":1}\n{"value":2}\n{"value":3}\n{"value":5}\n',
      },
      async (project) => {
        const config = { name: 'regressor', target: 'local', training: { metricDefinitions: [] } };
        const evaluation = await evaluateRun({
          config: config as never,
          settings: {
            groundTruth: 'truth.csv',
            task: 'regression',
            labelFormat: 'one-hot',
            predictionField: 'value',
            gates: ['rmse <= 0.6', 'r2 >= 0.9'],
          },
          projectDir: project.dir,
          runDir: project.path('.pipeline/runs/r1'),
          runId: 'r1',
          predictionsFile: 'predictions.txt',
          log: () => undefined,
        });
        assert.deepEqual(evaluation.classes, []);
        assert.equal(evaluation.metrics.rmse, 0.5);
        assert.deepEqual(evaluation.missed.length, 1);
        assert.match(evaluation.missed[0] as string, /r2/);
        const report = await project.read('.pipeline/runs/r1/report.html');
        assert.match(report, /Predicted against true/);
        assert.doesNotMatch(report, /Confusion matrix/);
      },
    );
  });
});

describe('invoke.data with a header and a label column', () => {
  it('sends the rows without the header and the label, and keeps the labels', () => {
    const text = 'a,b,label\n1,2,cat\n"3,5",4,dog\n';
    assert.deepEqual(readEvaluationData(text, 'd.csv', { header: true, labelColumn: 'label' }), {
      header: ['a', 'b', 'label'],
      rows: ['1,2', '"3,5",4'],
      lines: [2, 3],
      labels: ['cat', 'dog'],
    });
    assert.deepEqual(readEvaluationData(text, 'd.csv', { header: true, labelColumn: 0 }).labels, [
      '1',
      '3,5',
    ]);
    assert.deepEqual(readEvaluationData('1,2,0\n3,4,1\n', 'd.csv', { header: false, labelColumn: -1 }).rows, [
      '1,2',
      '3,4',
    ]);
    assert.deepEqual(readEvaluationData('x\n1\n', 'd.csv', { header: true }).rows, ['1']);
    assert.throws(
      () => readEvaluationData(text, 'd.csv', { header: true, labelColumn: 'kind' }),
      /d\.csv has no column "kind" \(its columns: a, b, label\)/,
    );
    assert.throws(
      () => readEvaluationData('1,2\n', 'd.csv', { header: false, labelColumn: 'label' }),
      /set invoke\.header: true/,
    );
    assert.throws(
      () => readEvaluationData('1,2\n1\n', 'd.csv', { header: false, labelColumn: 1 }),
      /d\.csv:2: 1 cells where the first row has 2/,
    );
  });
});
