// `pipeline validate` and the CLI's usage errors, through the real `pipeline` executable.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/cli/exit-code.js';
import { BASE_CONFIG, repoRoot, withProject } from '../rig/project.js';

const WITH_ENVIRONMENTS = `${BASE_CONFIG}environments:
  prod:
    target: aws
    aws:
      roleArn: arn:aws:iam::123456789012:role/Sage
      bucket: my-bucket
  broken:
    training:
      instanceCount: zero
`;

describe('pipeline validate', () => {
  it('checks the base config and every environment, naming the broken one', async () => {
    await withProject({ 'pipeline.yaml': WITH_ENVIRONMENTS }, async (project) => {
      const all = await project.runInProcess(['validate'], { real: true });
      assert.equal(all.exitCode, 2);
      assert.match(
        all.stderr,
        /^error: pipeline\.yaml:23:22: \(env broken\) training\.instanceCount must be integer, not "zero"\n {2}23 \| {7}instanceCount: zero\n/,
      );
      const prod = await project.runInProcess(['validate', '--env', 'prod', '--json'], { real: true });
      assert.equal(prod.exitCode, 0, prod.stderr);
      assert.deepEqual(JSON.parse(prod.stdout).checked, ['env prod']);
    });
  });

  it("refuses, at file:line:col, the values SageMaker's own service model would refuse", async () => {
    const refused = BASE_CONFIG.replace(
      '    learning_rate: 0.1\n',
      `    learning_rate: 0.1\n    notes: ${'x'.repeat(3000)}\n  environment:\n    A=B: one\n    has space: two\n`,
    ).replace('instanceType: ml.m5.large', 'instanceType: ml.m99.huge');
    await withProject({ 'pipeline.yaml': refused }, async (project) => {
      const result = await project.runInProcess(['validate'], { real: true });
      assert.equal(result.exitCode, 2, result.stdout + result.stderr);
      assert.match(
        result.stderr,
        /pipeline\.yaml:13:12: training\.hyperparameters\.notes: SageMaker refuses this value \(HyperParameterValue, 3000 characters\): Member must have length less than or equal to 2500/,
      );
      assert.match(
        result.stderr,
        /pipeline\.yaml:15:10: training\.environment\.A=B: SageMaker refuses the name "A=B"/,
      );
      assert.match(result.stderr, /training\.environment\.has space: SageMaker refuses the name "has space"/);
      assert.match(
        result.stderr,
        /pipeline\.yaml:\d+:\d+: deploy\.instanceType: SageMaker has no ProductionVariantInstanceType "ml\.m99\.huge" \(one of \d+, such as .*\); did you mean ml\.\w+\.\w+\?/,
      );
      assert.ok(
        result.stderr.split('\n').every((line) => line.length <= 400),
        'no enum list floods a line',
      );
      // run refuses the same before it builds anything.
      const run = await project.runInProcess(['run', '--json'], { real: true });
      assert.equal(run.exitCode, 2);
      assert.equal(await readFile(project.path('.pipeline/state.json'), 'utf8').catch(() => 'none'), 'none');
    });
  });

  it('answers --json with the problems as data', async () => {
    await withProject(
      {
        'pipeline.yaml': BASE_CONFIG.replace('epochs: 3', 'epochs: ${NOPE}'),
      },
      async (project) => {
        const result = await project.runInProcess(['validate', '--json'], { real: true });
        assert.equal(result.exitCode, 2);
        const report = JSON.parse(result.stdout);
        assert.equal(report.error, 'config');
        assert.deepEqual(report.diagnostics[0].location, {
          kind: 'file',
          file: 'pipeline.yaml',
          line: 11,
          col: 13,
          length: 7,
        });
      },
    );
  });

  it('says where pipeline.yaml was expected when there is none', async () => {
    await withProject({}, async (project) => {
      const result = await project.runInProcess(['validate', '--file', 'nope.yaml'], { real: true });
      assert.equal(result.exitCode, 2);
      assert.match(
        result.stderr,
        /nope\.yaml not found: run pipeline in the folder that holds pipeline\.yaml, or pass --file PATH/,
      );
    });
  });
});

describe('pipeline usage', () => {
  it('exits 2 for an unknown command or option, and 0 for --help', async () => {
    await withProject({}, async (project) => {
      const unknownCommand = await project.runInProcess(['deplyo'], { real: true });
      assert.equal(unknownCommand.exitCode, 2);
      assert.match(unknownCommand.stderr, /unknown command 'deplyo'/);
      const unknownOption = await project.runInProcess(['run', '--fast'], { real: true });
      assert.equal(unknownOption.exitCode, 2);
      assert.match(unknownOption.stderr, /unknown option '--fast'/);
      const help = await project.runInProcess(['--help'], { real: true });
      assert.equal(help.exitCode, 0);
      assert.match(
        help.stdout,
        /Stages, in order: build, local-test, push, upload, train, deploy, invoke, evaluate/,
      );
      // Every documented exit code is in --help and in the README's table.
      const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
      for (const code of Object.values(ExitCode)) {
        assert.match(help.stdout, new RegExp(`\\b${code} [a-z]`), `--help lacks exit code ${code}`);
        assert.match(readme, new RegExp(`\\b${code}\\b`), `README lacks exit code ${code}`);
      }
    });
  });

  it('prints the run record as JSON with --json', async () => {
    await withProject({}, async (project) => {
      const result = await project.run(['run', '--json']);
      assert.equal(result.exitCode, 0, result.stderr);
      const record = JSON.parse(result.stdout);
      assert.equal(record.status, 'succeeded');
      assert.deepEqual(Object.keys(record.stages), ['build', 'upload', 'train', 'deploy']);
    });
  });
});
