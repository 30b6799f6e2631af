// The example data generator: deterministic, in the original's format and distribution.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  formatScientific,
  generateSamples,
  writeExampleData,
} from '../../src/example/generate-example-data.js';
import { repoRoot, withProject } from '../rig/project.js';

const seedData = join(repoRoot, '..', 'shared', 'seed-data');

function classStats(rows: number[][]): Map<number, { mean: number; sd: number; count: number }> {
  const stats = new Map<number, { mean: number; sd: number; count: number }>();
  for (const label of [0, 1]) {
    const values = rows.filter((r) => r[2 + label] === 1).flatMap((r) => [r[0] as number, r[1] as number]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    stats.set(label, { mean, sd, count: values.length / 2 });
  }
  return stats;
}

const parse = (text: string): number[][] =>
  text
    .trim()
    .split('\n')
    .map((line) => line.split(',').map(Number));

describe('example data generator', () => {
  it('formats numbers as C printf %.4e', () => {
    assert.equal(formatScientific(3.60891), '3.6089e+00');
    assert.equal(formatScientific(0), '0.0000e+00');
    assert.equal(formatScientific(0.00012345), '1.2345e-04');
    assert.equal(formatScientific(-12.5), '-1.2500e+01');
  });

  it('is deterministic for a seed', () => {
    assert.deepEqual(generateSamples(50, 7), generateSamples(50, 7));
    assert.notDeepEqual(generateSamples(50, 7), generateSamples(50, 8));
  });

  it('matches the original data set: format, class balance, means and spreads', async () => {
    await withProject({}, async (project) => {
      await writeExampleData(project.dir);
      const ours = await project.read('context/input/data/training/trainset.csv');
      const original = await readFile(join(seedData, 'trainset.csv'), 'utf8');
      const lineShape = /^-?\d\.\d{4}e[+-]\d{2}(,-?\d\.\d{4}e[+-]\d{2}){3}$/;
      assert.ok(
        ours
          .trim()
          .split('\n')
          .every((line) => lineShape.test(line)),
      );
      assert.ok(
        original
          .trim()
          .split('\n')
          .every((line) => lineShape.test(line)),
      );
      const [mine, theirs] = [classStats(parse(ours)), classStats(parse(original))];
      for (const label of [0, 1]) {
        const a = mine.get(label);
        const b = theirs.get(label);
        assert.ok(a && b);
        assert.ok(Math.abs(a.mean - b.mean) < 0.1, `class ${label} mean ${a.mean} vs ${b.mean}`);
        assert.ok(Math.abs(a.sd - b.sd) < 0.1, `class ${label} sd ${a.sd} vs ${b.sd}`);
        assert.ok(Math.abs(a.count - b.count) < 400, `class ${label} count ${a.count} vs ${b.count}`);
      }
      const hyperparameters = JSON.parse(await project.read('context/input/config/hyperparameters.json'));
      assert.ok(
        Object.values(hyperparameters).every((v) => typeof v === 'string'),
        'SageMaker sends strings',
      );
      await project.read('context/input/config/resourceconfig.json');
    });
  });

  it('is what the repository holds in context/', async () => {
    await withProject({}, async (project) => {
      const written = await writeExampleData(project.dir);
      for (const path of written) {
        assert.equal(await project.read(path), await readFile(join(repoRoot, path), 'utf8'), path);
      }
    });
  });
});
