// Run records: one per run, with the resolved config and stage results, and no secrets.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { BASE_CONFIG, withProject } from '../../rig/project.js';

describe('run records', () => {
  it('records each run with the resolved config, stage outputs and the git commit', async () => {
    await withProject({}, async (project) => {
      await execa('git', ['init', '-q'], { cwd: project.dir });
      await execa(
        'git',
        ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x'],
        { cwd: project.dir },
      );
      const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: project.dir })).stdout;
      assert.equal((await project.run(['run'])).exitCode, 0);
      assert.equal((await project.run(['run', '--set', 'training.hyperparameters.epochs=9'])).exitCode, 0);
      const files = (await readdir(project.path('.pipeline/runs'))).sort();
      assert.equal(files.length, 2);
      const second = JSON.parse(await project.read(`.pipeline/runs/${files[1]}`));
      assert.equal(second.status, 'succeeded');
      assert.equal(second.git.commit, head);
      assert.equal(second.config.training.hyperparameters.epochs, 9);
      assert.deepEqual(second.argv, ['run', '--set', 'training.hyperparameters.epochs=9']);
      assert.equal(second.stages.build.action, 'skipped');
      assert.equal(second.stages.train.action, 'ran');
      assert.match(second.stages.train.outputs.job, /^train-/);
    });
  });

  it('keeps secrets out of state, records and logs', async () => {
    const token = 'tok-3f9a8c7e2b1d';
    const yaml = BASE_CONFIG.replace(
      '\ntraining:\n',
      '\ntraining:\n  environment:\n    API_TOKEN: ${MY_API_TOKEN}\n',
    );
    await withProject({ 'pipeline.yaml': yaml }, async (project) => {
      const result = await project.run(['run'], {
        env: { MY_API_TOKEN: token, AWS_SECRET_ACCESS_KEY: 'aws-secret-value-123' },
      });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, /using token \*\*\*/);
      assert.doesNotMatch(result.stdout + result.stderr, new RegExp(token));
      const runs = await readdir(project.path('.pipeline/runs'));
      for (const file of ['.pipeline/state.json', ...runs.map((r) => `.pipeline/runs/${r}`)]) {
        const text = await readFile(project.path(file), 'utf8');
        assert.doesNotMatch(text, new RegExp(token), file);
        assert.match(text, /\*\*\*/, file);
      }
    });
  });
});
