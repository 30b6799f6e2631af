// `pipeline report`: the page across every run, opened in headless Chromium (Debian's): a chart per
// headline metric with a point per run that evaluated, each a link to its run's report; which model
// served when (a promoted candidate serves, a rolled-back one never did); every run with what it
// changed. And the command itself on a project's history.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunRecord, StageRecord } from '../../src/engine/state/run-record.js';
import { championHistory, renderExperimentsReport } from '../../src/review/experiments-report.js';
import type { RunEntry } from '../../src/review/run-history.js';
import { requireChromium, withPage } from '../rig/browser.js';
import { repoRoot, withProject } from '../rig/project.js';

/** A run of the history: its epochs setting, its deploy and evaluate, its metrics. */
function run(
  n: number,
  epochs: number,
  deploy: StageRecord['outputs'] | undefined,
  evaluate: StageRecord['outputs'] | undefined,
  accuracy?: number,
): RunEntry {
  const stages: Record<string, StageRecord> = {};
  if (deploy) stages.deploy = { action: 'ran', reasons: [], outputs: deploy };
  if (evaluate) stages.evaluate = { action: 'ran', reasons: [], outputs: evaluate };
  const record: RunRecord = {
    id: `2026120${n}T100000.000Z-000${n}`,
    pipeline: 'keras <example>',
    status: 'succeeded',
    startedAt: `2026-12-0${n}T10:00:00.000Z`,
    finishedAt: `2026-12-0${n}T10:05:00.000Z`,
    durationMs: 300_000,
    argv: ['run'],
    target: 'local',
    config: { name: 'keras', training: { hyperparameters: { epochs } } },
    stages,
  };
  return {
    record,
    status: 'succeeded',
    ...(accuracy !== undefined
      ? { metrics: { accuracy, log_loss: 1 - accuracy }, gatesPassed: accuracy >= 0.9 }
      : {}),
  };
}

const HISTORY: RunEntry[] = [
  run(1, 100, { deploymentName: 'd1' }, {}, 0.91),
  // A candidate promoted after its gates: it serves from here.
  run(2, 150, { deploymentName: 'd2', champion: { deploymentName: 'd1' } }, { verdict: 'promoted' }, 0.93),
  // A candidate rolled back: it never served.
  run(3, 1, { deploymentName: 'd3', champion: { deploymentName: 'd2' } }, { verdict: 'rolled back' }, 0.6),
  run(4, 150, undefined, undefined),
];

describe('the experiments page', () => {
  it('knows which model served when: promoted candidates serve, rolled-back ones never did', () => {
    assert.deepEqual(
      championHistory(HISTORY).map((reign) => [
        reign.runId.slice(-5),
        reign.deploymentName,
        reign.until ?? 'serving',
        reign.how,
      ]),
      [
        ['-0001', 'd1', '2026-12-02T10:05:00.000Z', 'first deploy'],
        ['-0002', 'd2', 'serving', 'promoted after its gates'],
      ],
    );
  });

  it('renders its charts and links in a browser, with no console error and no request', async (t) => {
    if (!(await requireChromium(t))) return;
    const html = renderExperimentsReport({
      pipeline: 'keras <example>',
      runs: HISTORY,
      reportOf: (id) => (id.endsWith('4') ? undefined : `runs/${id}/report.html`),
      createdAt: '2026-12-07T10:00:00Z',
    });
    await withPage(html, async (page, problems) => {
      assert.equal(await page.title(), 'keras <example>: experiments');
      // A chart per headline metric the runs have (accuracy, log_loss), a point per run that evaluated.
      assert.equal(await page.locator('svg.chart').count(), 2);
      assert.equal(await page.locator('svg.chart').first().locator('circle.point').count(), 3);
      assert.equal(
        await page.locator('svg.chart').first().locator('a').first().getAttribute('href'),
        'runs/20261201T100000.000Z-0001/report.html',
      );
      const text = (await page.locator('body').textContent()) ?? '';
      assert.match(text, /Which model served when/);
      assert.match(text, /d2.*serving.*promoted after its gates/s);
      assert.doesNotMatch(text, /d3\s*2026/, 'the rolled-back candidate never served');
      // Newest first, with what each run changed since the one before.
      const rows = page.locator('table').last().locator('tbody tr');
      assert.equal(await rows.count(), 4);
      assert.match((await rows.nth(1).textContent()) ?? '', /epochs 150 → 1/);
      assert.match((await rows.nth(3).textContent()) ?? '', /first run/);
      await mkdir(join(repoRoot, 'test-output'), { recursive: true });
      await page.screenshot({ path: join(repoRoot, 'test-output', 'experiments.png'), fullPage: true });
      assert.deepEqual(problems, []);
    });
  });

  it('is written by `pipeline report` from the history, beside it or where --output says', () =>
    withProject({}, async (project) => {
      assert.equal((await project.runInProcess(['run'])).exitCode, 0);
      assert.equal(
        (await project.runInProcess(['run', '--set', 'training.hyperparameters.epochs=4'])).exitCode,
        0,
      );
      const written = await project.runInProcess(['report']);
      assert.equal(written.exitCode, 0, written.stderr);
      assert.match(written.stdout, /^\.pipeline\/experiments\.html: 2 runs/);
      const page = await project.read('.pipeline/experiments.html');
      assert.match(page, /<h1>rig: 2 runs<\/h1>/);
      assert.match(page, /<code>epochs<\/code> 3 → 4/);
      const elsewhere = await project.runInProcess(['report', '--output', 'site/index.html', '--json']);
      assert.deepEqual(JSON.parse(elsewhere.stdout).runs, 2);
      assert.match(await project.read('site/index.html'), /rig: 2 runs/);
    }));
});
