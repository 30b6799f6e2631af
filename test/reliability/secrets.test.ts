// Secrets never reach what pipeline writes: with fake AWS credentials and tokens in the
// environment, and a token interpolated into the training environment, a whole run leaves none of
// them in the state, the run records, the reports, the logs or the terminal output.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanUpExampleProject, freshExampleProject } from '../rig/local-target.js';
import type { TestProject } from '../rig/project.js';

const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEKEY1234567890',
  AWS_SECRET_ACCESS_KEY: 'fakeSecretAccessKey/abcdefghijklmnopqrstuvw',
  AWS_SESSION_TOKEN: 'FakeSessionTokenIQoJb3JpZ2luX2VjEJr',
  MODEL_API_TOKEN: 'tok_live_fake_5f2b9c1e7a',
};

async function filesUnder(dir: string, skip: (path: string) => boolean): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !skip(path));
}

describe('secrets', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
  });
  after(() => cleanUpExampleProject(project, SECRETS));

  it('appear nowhere pipeline writes', async () => {
    // A token handed to the training job through pipeline.yaml, as a user would.
    const yaml = await project.read('pipeline.yaml');
    await project.write({
      'pipeline.yaml': yaml.replace(
        '\ntraining:\n',
        '\ntraining:\n  environment:\n    API_TOKEN: ${MODEL_API_TOKEN}\n',
      ),
    });
    const result = await project.run(
      [
        'run',
        '--set',
        'runtime=process',
        '--set',
        'training.hyperparameters.epochs=2',
        '--set',
        'evaluate.gates=[]',
      ],
      { real: true, env: SECRETS },
    );
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const show = await project.run(['show', 'last', '--json'], { real: true, env: SECRETS });

    const local = project.path('.pipeline', 'local');
    // .pipeline/local is the local SageMaker's own store (the remote side, as AWS keeps a job's
    // Environment); everything else under .pipeline is pipeline's.
    const files = await filesUnder(project.path('.pipeline'), (path) => path.startsWith(local));
    assert.ok(files.some((file) => file.endsWith('state.json')));
    assert.ok(files.some((file) => file.endsWith('report.html')));
    assert.ok(files.some((file) => file.endsWith('train.log')));
    const leaks: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'latin1');
      for (const [name, value] of Object.entries(SECRETS)) {
        if (text.includes(value)) leaks.push(`${relative(project.dir, file)}: ${name}`);
      }
    }
    for (const [name, value] of Object.entries(SECRETS)) {
      if (`${result.stdout}${result.stderr}${show.stdout}`.includes(value))
        leaks.push(`terminal output: ${name}`);
    }
    assert.deepEqual(leaks, []);
    assert.match(await project.read('.pipeline/state.json'), /"API_TOKEN": "\*\*\*"/);
  });
});
