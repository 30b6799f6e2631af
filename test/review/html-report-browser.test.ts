// The HTML report opened in headless Chromium (Debian's): it renders with no console error, its
// charts are there with the right number of cells, bars and curves, and a screenshot is saved
// under test-output/ for a human to look at.
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { chromium } from 'playwright-core';
import { renderHtmlReport } from '../../src/review/html-report.js';
import { computeMetrics, flatMetrics } from '../../src/review/metrics.js';
import { repoRoot } from '../rig/project.js';

const CHROMIUM = '/usr/bin/chromium';

async function requireChromium(t: TestContext): Promise<boolean> {
  const there = await access(CHROMIUM).then(
    () => true,
    () => false,
  );
  if (there) return true;
  if (process.env.CI) throw new Error('CI=true but /usr/bin/chromium is missing: .ci/run installs it');
  t.skip('Debian chromium is not installed (apt-get install chromium)');
  return false;
}

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
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const file = join(dir, 'report.html');
      await writeFile(file, html);
      const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith('file://')) problems.push(`network request: ${request.url()}`);
      });
      await page.goto(`file://${file}`);
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
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
