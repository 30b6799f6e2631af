// `pipeline runs`, `show` and `diff` over run records and metrics as the engine and the evaluate
// stage write them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunRecord } from '../../src/engine/state/run-record.js';
import { type TestProject, withProject } from '../rig/project.js';

function record(id: string, epochs: number, jobName: string, dataHash: string): RunRecord {
  return {
    id,
    pipeline: 'rig',
    status: 'succeeded',
    startedAt: `2026-11-26T0${id.slice(0, 1)}:00:00.000Z`,
    finishedAt: `2026-11-26T0${id.slice(0, 1)}:01:00.000Z`,
    durationMs: 60_000,
    argv: ['run'],
    target: 'local',
    git: { commit: `${id}abcdef0123456789`, branch: 'main', dirty: id === '3' } as RunRecord['git'],
    config: {
      name: 'rig',
      training: { hyperparameters: { epochs, init: 'normal' } },
      environments: { prod: {} },
    },
    stages: {
      upload: {
        action: 'skipped',
        reasons: [],
        outputs: { channels: { training: { s3Uri: 's3://b/rig/training/', contentHash: dataHash } } },
      },
      train: {
        action: 'ran',
        reasons: [],
        durationMs: 50_000,
        outputs: { jobName, modelArtifact: `s3://b/${jobName}` },
      },
      evaluate: { action: 'ran', reasons: [], durationMs: 10 },
    },
  };
}

async function writeRun(project: TestProject, run: RunRecord, accuracy?: number): Promise<void> {
  await project.write({ [`.pipeline/runs/${run.id}.json`]: JSON.stringify(run) });
  if (accuracy !== undefined) {
    await project.write({
      [`.pipeline/runs/${run.id}/metrics.json`]: JSON.stringify({
        metrics: { accuracy, macro_f1: accuracy - 0.01 },
        passed: accuracy >= 0.9,
      }),
    });
  }
}

describe('runs, show and diff', () => {
  it('colours a metric’s change by its direction in diff: a rise of a loss is worse, and red', async () => {
    await withProject({}, async (project) => {
      for (const [id, accuracy, logLoss] of [
        ['1', 0.9, 0.15],
        ['2', 0.92, 0.17],
      ] as const) {
        await project.write({
          [`.pipeline/runs/${id}.json`]: JSON.stringify(record(id, 100, `rig-job-${id}`, 'sha256:aaa')),
          [`.pipeline/runs/${id}/metrics.json`]: JSON.stringify({
            metrics: { accuracy, log_loss: logLoss },
            passed: true,
          }),
        });
      }
      const diff = await project.runInProcess(['diff'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
      assert.equal(diff.exitCode, 0, diff.stderr);
      const red = '\u001b[31m';
      const green = '\u001b[32m';
      assert.ok(diff.stdout.includes(`${green}(+0.0200, better)`), diff.stdout);
      assert.ok(diff.stdout.includes(`${red}(+0.0200, worse)`), diff.stdout);
      const plain = await project.runInProcess(['diff', '--json']);
      const tones = JSON.parse(plain.stdout).metrics.map((m: { metric: string; tone: string }) => [
        m.metric,
        m.tone,
      ]);
      assert.deepEqual(tones, [
        ['accuracy', 'better'],
        ['log_loss', 'worse'],
      ]);
    });
  });

  it('lists runs with what changed and key metrics, shows one, and diffs the last two', async () => {
    await withProject({}, async (project) => {
      await writeRun(project, record('1', 100, 'rig-job-1', 'sha256:aaa'), 0.8);
      await writeRun(project, record('2', 200, 'rig-job-2', 'sha256:aaa'), 0.9333);
      await writeRun(project, record('3', 200, 'rig-job-3', 'sha256:bbb'), 1);

      const runs = await project.runInProcess(['runs']);
      assert.equal(runs.exitCode, 0, runs.stderr);
      const lines = runs.stdout.trim().split('\n');
      assert.match(lines[0] ?? '', /^RUN\s+WHEN\s+COMMIT\s+CHANGED\s+ACCURACY\s+MACRO_F1\s+STATUS$/);
      assert.match(
        lines[1] ?? '',
        /^1\s+2026-11-26 01:00:00\s+1abcdef0\s+first run\s+0\.8000\s+0\.7900\s+succeeded$/,
      );
      assert.match(lines[2] ?? '', /epochs: 100 → 200\s+0\.9333/);
      assert.match(lines[3] ?? '', /3abcdef0\*\s+-\s+1\.0000/);

      const json = JSON.parse((await project.runInProcess(['runs', '--json'])).stdout);
      assert.equal(json.length, 3);
      assert.deepEqual(json[2].ran, ['train', 'evaluate']);

      const shown = await project.runInProcess(['show', '2']);
      assert.equal(shown.exitCode, 0, shown.stderr);
      assert.match(shown.stdout, /^Run 2: succeeded in 1m00s/);
      assert.match(shown.stdout, /train\s+ran in 50\.0s/);
      assert.match(shown.stdout, /accuracy\s+0\.9333/);
      const missing = await project.runInProcess(['show', '9']);
      assert.equal(missing.exitCode, 2);
      assert.match(missing.stderr, /no run 9; `pipeline runs` lists them/);

      const diff = await project.runInProcess(['diff']);
      assert.equal(diff.exitCode, 0, diff.stderr);
      assert.match(diff.stdout, /^Run 2 → 3/);
      assert.match(diff.stdout, /Settings: the same/);
      assert.match(
        diff.stdout,
        /data\.training: s3:\/\/b\/rig\/training\/ sha256:aaa → s3:\/\/b\/rig\/training\/ sha256:bbb/,
      );
      assert.match(diff.stdout, /train\.jobName: rig-job-2 → rig-job-3/);
      assert.match(diff.stdout, /accuracy\s+0\.9333 → 1\.0000\s+\(\+0\.0667, better\)/);

      const first = JSON.parse((await project.runInProcess(['diff', '1', 'last', '--json'])).stdout);
      assert.deepEqual(first.params, [{ path: 'training.hyperparameters.epochs', before: 100, after: 200 }]);
      const accuracy = first.metrics.find((m: { metric: string }) => m.metric === 'accuracy');
      assert.ok(Math.abs(accuracy.delta - 0.2) < 1e-9, String(accuracy.delta));
    });
  });

  it('says so when there are no runs yet, or not two to compare', async () => {
    await withProject({}, async (project) => {
      assert.match((await project.runInProcess(['runs'])).stdout, /No runs yet/);
      const diff = await project.runInProcess(['diff']);
      assert.equal(diff.exitCode, 2);
      assert.match(diff.stderr, /there are only 0 runs/);
    });
  });
});
