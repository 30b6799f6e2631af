// Secrets never reach what pipeline prints or writes. With fake AWS credentials in the
// environment and secrets in every config place that can hold one (whole values and inside
// strings, by a secret-looking name, by a `secrets:` entry, by a secret-named key and by --set),
// two runs and every read command (with and without --json) leave none of them in the output, the
// state, the run records, the reports or the logs; the second run is up to date; changing a
// secret re-runs the stages that use it and says only "(secret changed)".
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanUpExampleProject, freshExampleProject } from '../../rig/local-target.js';
import type { CliResult, TestProject } from '../../rig/project.js';

const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEKEY1234567890',
  AWS_SECRET_ACCESS_KEY: 'fakeSecretAccessKey/abcdefghijklmnopqrstuvw',
  AWS_SESSION_TOKEN: 'FakeSessionTokenIQoJb3JpZ2luX2VjEJr',
  GITHUB_TOKEN: 'ghp_fake0123456789abcdefghij',
  MY_PASSWORD: 'hunter2-fake-pw',
  NPM_TOKEN: 'npm_fakeBuildToken42',
  // Secret only because pipeline.yaml lists it under `secrets:`.
  LICENSE_BLOB: 'lic-fake-9f8e7d6c5b',
};
/** Given on the command line with --set, under a secret-named key. */
const SET_SECRET = 'set-fake-api-key-31337';
const CHANGED_TOKEN = 'ghp_fakeCHANGED999888777666';

/** Every file under .pipeline but the local SageMaker's own store (the remote side, as AWS keeps a job's Environment). */
async function pipelineFiles(project: TestProject): Promise<string[]> {
  const local = project.path('.pipeline', 'local');
  const entries = await readdir(project.path('.pipeline'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.startsWith(local));
}

function leaksIn(where: string, text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => `${where}: ${name}`);
}

const allSecrets = { ...SECRETS, SET_SECRET, CHANGED_TOKEN };

describe('secrets', () => {
  let project: TestProject;
  const outputs: CliResult[] = [];
  const runArgs = [
    'run',
    '--set',
    'runtime=process',
    '--set',
    'training.hyperparameters.epochs=2',
    '--set',
    'evaluate.gates=[]',
    '--set',
    `deploy.environment.SERVICE_API_KEY=${SET_SECRET}`,
  ];
  const cli = async (args: string[], env: Record<string, string> = SECRETS): Promise<CliResult> => {
    const result = await project.run(args, { real: true, env });
    outputs.push(result);
    return result;
  };

  before(async () => {
    project = await freshExampleProject();
    const yaml = await project.read('pipeline.yaml');
    await project.write({
      'pipeline.yaml': yaml
        .replace('runtime: auto\n', 'runtime: auto\nsecrets: [LICENSE_BLOB]\n')
        .replace(
          '\ntraining:\n',
          [
            '\ntraining:',
            '  environment:',
            '    GH: ${GITHUB_TOKEN}',
            '    DB_URL: postgres://app:${MY_PASSWORD}@db/x',
            '    LICENSE: ${LICENSE_BLOB}',
            '    DB_PASSWORD: literal-fake-password',
            '',
          ].join('\n'),
        )
        .replace('    BASE_IMAGE:', '    NPM_AUTH: "//registry/:_authToken=${NPM_TOKEN}"\n    BASE_IMAGE:')
        .replace('deploy:\n', 'deploy:\n  environment:\n    UPSTREAM_TOKEN: ${GITHUB_TOKEN}\n'),
    });
  });
  after(() => cleanUpExampleProject(project, SECRETS));

  it('a run and every read command print and write none of them', async () => {
    const first = await cli(runArgs);
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    for (const command of [['plan'], ['status'], ['runs'], ['show', 'last'], ['diff'], ['validate']]) {
      await cli([...command, ...(command[0] === 'plan' || command[0] === 'status' ? runArgs.slice(1) : [])]);
      await cli([...command, '--json', ...(command[0] === 'plan' ? runArgs.slice(1) : [])]);
    }
    const leaks = outputs.flatMap((output, index) =>
      leaksIn(`output of command ${index}`, output.stdout + output.stderr, allSecrets),
    );
    const files = await pipelineFiles(project);
    assert.ok(files.some((file) => file.endsWith('report.html')));
    assert.ok(files.some((file) => file.endsWith('summary.md')));
    for (const file of files) {
      leaks.push(...leaksIn(relative(project.dir, file), await readFile(file, 'latin1'), allSecrets));
    }
    assert.deepEqual(leaks, []);
    // The literal under a secret-named key is a secret too.
    const state = await project.read('.pipeline/state.json');
    assert.ok(!state.includes('literal-fake-password'));
  });

  it('an unchanged secret leaves its stages up to date', async () => {
    const plan = await cli(['plan', '--json', ...runArgs.slice(1)]);
    const stages = JSON.parse(plan.stdout).stages as { name: string; action: string }[];
    assert.deepEqual(
      stages.filter((s) => s.action === 'run').map((s) => s.name),
      [],
      plan.stdout,
    );
    const second = await cli(runArgs);
    assert.equal(second.exitCode, 0, second.stderr);
    assert.deepEqual(await project.stagesRan(), []);
  });

  it('a changed secret re-runs the stages that use it and says only "(secret changed)"', async () => {
    const env = { ...SECRETS, GITHUB_TOKEN: CHANGED_TOKEN };
    const plan = await cli(['plan', ...runArgs.slice(1)], env);
    assert.match(plan.stdout, /training\.environment\.GH: \(secret changed\)/);
    assert.match(plan.stdout, /deploy\.environment\.UPSTREAM_TOKEN: \(secret changed\)/);
    const run = await cli(runArgs, env);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(await project.stagesRan(), ['train', 'deploy', 'invoke', 'evaluate']);
    const leaks = outputs.flatMap((output) => leaksIn('output', output.stdout + output.stderr, allSecrets));
    for (const file of await pipelineFiles(project)) {
      leaks.push(...leaksIn(relative(project.dir, file), await readFile(file, 'latin1'), allSecrets));
    }
    assert.deepEqual(leaks, []);
  });

  it('a config error does not quote a secret', async () => {
    const yaml = await project.read('pipeline.yaml');
    await project.write({ 'pipeline.yaml': yaml.replace('  tag: latest', '  tag: "${GITHUB_TOKEN}"') });
    try {
      const env = { ...SECRETS, GITHUB_TOKEN: 'bad tag with spaces and ghp_fakeXYZ123' };
      const result = await project.run(['validate'], { real: true, env });
      assert.equal(result.exitCode, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /image\.tag/);
      assert.ok(!result.stderr.includes('ghp_fakeXYZ123'), result.stderr);
    } finally {
      await project.write({ 'pipeline.yaml': yaml });
    }
  });

  it('destroy needs none of the secrets the stages use', async () => {
    const result = await project.run(['destroy', '--yes', '--json'], { real: true, env: {} });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.ok((JSON.parse(result.stdout).deleted as string[]).some((what) => what.startsWith('endpoint')));
  });
});
