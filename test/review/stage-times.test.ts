// The report's run-end section: written by evaluate as a placeholder, filled with each stage's
// time and the metrics of user stages once the run ends.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunRecord } from '../../src/engine/state/run-record.js';
import { completeReport, RUN_END_SECTION } from '../../src/review/stage-times.js';

const record: RunRecord = {
  id: 'run-1',
  pipeline: 'p',
  status: 'succeeded',
  startedAt: '2026-12-07T00:00:00.000Z',
  finishedAt: '2026-12-07T00:00:05.000Z',
  durationMs: 5000,
  argv: ['run'],
  target: 'local',
  config: {},
  stages: {
    prepare: { action: 'ran', reasons: [], durationMs: 1500, outputs: { kind: 'processing', outs: {} } },
    train: { action: 'ran', reasons: [], durationMs: 3200 },
    evaluate: { action: 'ran', reasons: [], durationMs: 12 },
    business: {
      action: 'ran',
      reasons: [],
      durationMs: 80,
      outputs: { kind: 'command', outs: {}, userMetrics: { '<lift>': 0.25 } },
    },
  },
};

describe("the report's run-end section", () => {
  it("fills the placeholder with each stage's time and the user stages' metrics, escaped", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stage-times-'));
    try {
      const file = join(dir, 'report.html');
      await writeFile(file, `<html><body><h1>r</h1>${RUN_END_SECTION}</body></html>`);
      assert.equal(await completeReport(file, record), true);
      const html = await readFile(file, 'utf8');
      assert.match(
        html,
        /<tr><td>prepare <span class="muted">\(processing\)<\/span><\/td><td>ran<\/td><td>1\.5 s<\/td><\/tr>/,
      );
      assert.match(html, /<tr><td>evaluate<\/td><td>ran<\/td><td>12 ms<\/td><\/tr>/);
      assert.match(html, /<td>&lt;lift&gt;<\/td><td>0\.25<\/td><td>business<\/td>/);
      assert.doesNotMatch(html, /did not get there/);
      // Filled again (a later completion) it still holds one section.
      await completeReport(file, record);
      assert.equal((await readFile(file, 'utf8')).split('<h2>Stages</h2>').length, 2);

      await writeFile(file, '<html><body>no section</body></html>');
      assert.equal(await completeReport(file, record), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
