// The tool as a user gets it: `npm pack` of this repository installed into a fresh repository
// that holds only someone else's container (Python, written to SageMaker's contract) and its
// data; then `pipeline init`, `validate` and a run through local-test, all through `npx pipeline`.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import {
  emptyRepository,
  installTool,
  npxPipeline,
  type PackedTool,
  packTool,
} from '../../rig/installed-tool.js';
import type { TestProject } from '../../rig/project.js';
import { makeExecutable, PYTHON_CONTAINER } from '../../rig/python-container.js';

describe('the packed tool, installed in another repository', () => {
  let tool: PackedTool;
  let project: TestProject;
  const npx = (args: string[]) => npxPipeline(project.dir, args);

  before(async () => {
    tool = await packTool();
    // Only the user's own files: no pipeline.yaml, no context/ mirror.
    project = await emptyRepository();
    await project.write(PYTHON_CONTAINER);
    await makeExecutable(project);
  });
  after(async () => {
    await project.remove();
    await tool.remove();
  });

  it('ships the CLI and nothing of the example, the tests or the benchmarks', async () => {
    const listed = await execa('tar', ['-tzf', tool.tarball]);
    const files = String(listed.stdout).split('\n');
    assert.ok(files.includes('package/bin/pipeline.js'));
    assert.ok(files.includes('package/dist/pipeline.mjs'));
    assert.ok(files.includes('package/schemas/pipeline.schema.json'));
    assert.deepEqual(
      files.filter((file) =>
        /^package\/(container|context|data|bench|test|src|dist\/(test|bench|src|stages))\//.test(file),
      ),
      [],
    );
  });

  it('installs with no dependency to fetch, then init, validate and run through local-test', async () => {
    await installTool(project.dir, tool.tarball);
    const init = await npx(['init', '--container', 'container', '--invoke-data', 'data/eval.csv']);
    assert.equal(init.exitCode, 0, String(init.stdout) + String(init.stderr));
    assert.match(String(init.stdout), /wrote pipeline\.yaml \(image from container\/Dockerfile\)/);
    assert.match(await project.read('.gitignore'), /^\.pipeline\/$/m);
    const yaml = await project.read('pipeline.yaml');
    assert.match(yaml, /^data:\n {2}training:\n {4}path: "data\/training"/m);
    const again = await npx(['init']);
    assert.equal(again.exitCode, 2, 'init never overwrites');

    const validated = await npx(['validate']);
    assert.equal(validated.exitCode, 0, String(validated.stderr));
    const run = await npx(['run', '--to', 'local-test', '--set', 'runtime=process']);
    assert.equal(run.exitCode, 0, String(run.stdout) + String(run.stderr));
    assert.match(String(run.stdout), /trained on 3 rows/);
    // State lives beside the user's pipeline.yaml, not in the package.
    assert.ok((await readdir(project.path('.pipeline'))).includes('state.json'));
    const state = JSON.parse(await readFile(project.path('.pipeline/state.json'), 'utf8'));
    assert.equal(state.pipeline, basename(project.dir).toLowerCase(), 'named after the folder');
  });
});
