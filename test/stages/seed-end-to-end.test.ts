// The whole pipeline on the original example's data set (../shared/seed-data), as a user runs it:
// `pipeline run` from build to evaluate on the local target. The example model must reach the
// original's test accuracy (0.92) with its settings (200 epochs), and the evaluation must report
// accuracy 1.0 on the 15 eval rows, as the original did.
import assert from 'node:assert/strict';
import { access, copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanUpExampleProject, freshExampleProject } from '../rig/local-target.js';
import { repoRoot, type TestProject } from '../rig/project.js';

const seed = (name: string) => join(repoRoot, '..', 'shared', 'seed-data', name);

describe('the original data set, end to end', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
    // The seed data where pipeline.yaml expects the example's data (in the temporary project only).
    await copyFile(seed('trainset.csv'), project.path('context/input/data/training/trainset.csv'));
    await copyFile(seed('testset.csv'), project.path('context/input/data/validation/testset.csv'));
    await copyFile(seed('eval_data.csv'), project.path('data/eval/eval_data.csv'));
    // eval_pred.csv is, despite its name, the one-hot ground truth.
    await copyFile(seed('eval_pred.csv'), project.path('data/eval/eval_truth.csv'));
  });
  after(() => cleanUpExampleProject(project));

  it('trains to the original accuracy and scores 1.0 on the 15 evaluation rows', {
    timeout: 900_000,
  }, async () => {
    const original = JSON.parse(await readFile(seed('hyperparameters.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const yaml = await project.read('pipeline.yaml');
    for (const [name, value] of Object.entries(original)) {
      assert.match(
        yaml,
        new RegExp(`\\n    ${name}: ${value}\\n`),
        `pipeline.yaml keeps the original ${name}`,
      );
    }
    const result = await project.run(['run', '--set', 'runtime=process'], { real: true });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);

    const train = await project.stageOutputs('train');
    assert.ok(
      train.finalMetrics.val_accuracy >= 0.92,
      `test accuracy ${train.finalMetrics.val_accuracy} is below the original's 0.92`,
    );
    const evaluation = await project.stageOutputs('evaluate');
    assert.equal(evaluation.rows, 15);
    assert.equal(evaluation.metrics.accuracy, 1);
    assert.deepEqual(
      evaluation.gates.map((g: { passed: boolean }) => g.passed),
      [true],
    );
    for (const file of Object.values(evaluation.report) as string[]) await access(project.path(file));
    assert.match(await project.read(evaluation.report.summary), /\| accuracy \| 1\.0000 \|/);

    const runs = await project.run(['runs', '--json'], { real: true });
    const rows = JSON.parse(runs.stdout) as { metrics: { accuracy: number } | null; status: string }[];
    assert.equal(rows.at(-1)?.metrics?.accuracy, 1);
    assert.equal(rows.at(-1)?.status, 'succeeded');
  });
});
