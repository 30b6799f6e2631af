// The HTML report opened in headless Chromium (Debian's): it renders with no console error, its
// charts are there with the right number of cells, bars and curves, and a screenshot is saved
// under test-output/ for a human to look at.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderHtmlReport } from '../../src/review/html-report.js';
import { computeMetrics, flatMetrics } from '../../src/review/metrics.js';
import { requireChromium, withPage } from '../rig/browser.js';
import { repoRoot } from '../rig/project.js';

/** What the page-side function uses of the browser's window (this file has no DOM types). */
interface BrowserWindow {
  getComputedStyle(element: unknown): { color: string };
}

describe('the HTML report in a browser', () => {
  it('renders its charts with no console error, and is saved as a screenshot', async (t) => {
    if (!(await requireChromium(t))) return;
    const metrics = computeMetrics({
      truth: [0, 0, 1, 1, 2, 2, 2],
      predicted: [0, 1, 1, 1, 2, 2, 0],
      probabilities: [
        [0.7, 0.2, 0.1],
        [0.3, 0.6, 0.1],
        [0.1, 0.8, 0.1],
        [0.2, 0.7, 0.1],
        [0.1, 0.1, 0.8],
        [0.2, 0.2, 0.6],
        [0.5, 0.2, 0.3],
      ],
      classes: ['setosa', 'versicolor', 'virginica'],
    });
    const flat = flatMetrics(metrics);
    const html = renderHtmlReport({
      pipeline: 'iris <model>',
      runId: '20261126T010203.000Z-abcd',
      target: 'local',
      createdAt: '2026-11-26T01:02:03Z',
      git: { commit: '0123456789abcdef', dirty: true },
      metrics,
      flat,
      // Accuracy rose since (better), log_loss rose too (worse: lower is better).
      previous: {
        runId: '20261125T010203.000Z-0000',
        metrics: {
          ...flat,
          accuracy: (flat.accuracy as number) - 0.1,
          log_loss: (flat.log_loss as number) - 0.05,
        },
        changes: [{ path: 'training.hyperparameters.epochs', before: 100, after: 200 }],
        outcome: 'gates missed',
      },
      gates: [],
      curves: { loss: [0.9, 0.6, 0.4, 0.3], val_loss: [1, 0.7, 0.5, 0.45], accuracy: [0.4, 0.6, 0.7, 0.71] },
    });
    await withPage(html, async (page, problems) => {
      assert.equal(await page.locator('svg.confusion rect.cell').count(), 9);
      assert.equal(await page.locator('svg.per-class rect.bar').count(), 9);
      assert.equal(await page.locator('svg.curves polyline.curve').count(), 3);
      assert.equal(await page.title(), 'iris <model> · run 20261126T010203.000Z-abcd');
      // A change is coloured by the metric's direction: green when better, red when worse.
      const changeColour = (metric: string) =>
        page
          .locator(`tr:has(th:text-is("${metric}")) td`)
          .nth(2)
          .evaluate(
            // Runs in the page: the browser's window, which this file's types do not include.
            (cell) => (globalThis as unknown as BrowserWindow).getComputedStyle(cell).color,
          );
      assert.equal(await changeColour('accuracy'), 'rgb(4, 120, 87)');
      assert.equal(await changeColour('log_loss'), 'rgb(185, 28, 28)');
      assert.match(
        (await page.locator('body').textContent()) ?? '',
        /Compared with run 20261125T010203\.000Z-0000 \(gates missed\)/,
      );
      const box = await page.locator('svg.confusion').boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, 'the heat map has a size');
      await mkdir(join(repoRoot, 'test-output'), { recursive: true });
      await page.screenshot({ path: join(repoRoot, 'test-output', 'report.png'), fullPage: true });
      assert.deepEqual(problems, []);
    });
  });

  it('shows a tuning job: the best trial, charts of the objective, a table sorted by objective on a click', async (t) => {
    if (!(await requireChromium(t))) return;
    const metrics = computeMetrics({ truth: [0, 1, 1, 0], predicted: [0, 1, 0, 0], classes: ['no', 'yes'] });
    const trials = [
      {
        name: 'tune-001-aaaaaaaa',
        status: 'Completed',
        objective: 0.81,
        hyperparameters: { lr: '0.01', init: 'normal' },
      },
      {
        name: 'tune-002-bbbbbbbb',
        status: 'Completed',
        objective: 0.93,
        hyperparameters: { lr: '0.003', init: 'uniform' },
      },
      {
        name: 'tune-003-cccccccc',
        status: 'Stopped',
        objective: 0.42,
        hyperparameters: { lr: '0.1', init: 'normal' },
      },
      { name: 'tune-004-dddddddd', status: 'Failed', hyperparameters: { lr: '0.05', init: 'uniform' } },
    ];
    const html = renderHtmlReport({
      pipeline: 'tuned',
      runId: '20261207T010203.000Z-abcd',
      target: 'local',
      createdAt: '2026-12-07T01:02:03Z',
      metrics,
      flat: flatMetrics(metrics),
      gates: [],
      curves: {},
      tuning: {
        strategy: 'Bayesian',
        objective: { metric: 'val_accuracy', type: 'Maximize' },
        best: { name: 'tune-002-bbbbbbbb', hyperparameters: { lr: '0.003', init: 'uniform' } },
        trials,
      },
    });
    await withPage(html, async (page, problems) => {
      const text = (await page.locator('body').textContent()) ?? '';
      assert.match(text, /Tuning: Bayesian, 4 trials, maximising val_accuracy/);
      assert.match(text, /The best: tune-002-bbbbbbbb, val_accuracy 0\.9300, with lr=0\.003, init=uniform/);
      // One chart of the objective by trial and one per hyperparameter, a point per scored trial.
      assert.equal(await page.locator('svg.tuning').count(), 3);
      assert.equal(await page.locator('svg.tuning circle.trial').count(), 9);
      assert.equal(await page.locator('svg.tuning circle.best').count(), 3);
      const firstTrial = () =>
        page.locator('table.trials tbody tr').first().locator('td').nth(1).textContent();
      assert.equal(await firstTrial(), 'tune-001-aaaaaaaa');
      await page.locator('table.trials th', { hasText: 'val_accuracy' }).click();
      assert.equal(await firstTrial(), 'tune-002-bbbbbbbb');
      // Again: ascending, the trial without an objective last.
      await page.locator('table.trials th', { hasText: 'val_accuracy' }).click();
      assert.equal(await firstTrial(), 'tune-003-cccccccc');
      assert.equal(
        await page.locator('table.trials tbody tr').last().locator('td').nth(1).textContent(),
        'tune-004-dddddddd',
      );
      assert.deepEqual(problems, []);
    });
  });
});
