// .pipeline/ on a read-only file system, and on a full disk (real tmpfs mounts, made and removed
// by the test): read commands still work, `run` says what it cannot write and why (exit 3, never
// "internal error"), and the state that was there is kept as it was.
import assert from 'node:assert/strict';
import { cp, readFile, rm } from 'node:fs/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import { execa } from 'execa';
import { TestProject as Project, type TestProject } from '../../rig/project.js';

/** Mounts a tmpfs of `size` over dir, or says why not (only root may mount). */
async function mountTmpfs(t: TestContext, dir: string, size: string): Promise<boolean> {
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], {
    reject: false,
  });
  if (mounted.exitCode === 0) return true;
  if (process.env.CI) throw new Error(`CI=true but a tmpfs cannot be mounted: ${mounted.stderr}`);
  t.skip(`cannot mount a tmpfs here (${mounted.stderr.trim()})`);
  return false;
}

describe('an unwritable .pipeline', () => {
  let project: TestProject;
  let state: string;
  const mounts: string[] = [];

  before(async () => {
    project = await Project.create();
    const first = await project.run(['run']);
    assert.equal(first.exitCode, 0, first.stderr);
    state = await project.read('.pipeline/state.json');
  });
  after(async () => {
    for (const dir of mounts.reverse()) await execa('umount', [dir], { reject: false });
    await project.remove();
  });

  /** .pipeline as it is now, moved onto a fresh tmpfs of the given size. */
  async function pipelineOnTmpfs(t: TestContext, size: string): Promise<boolean> {
    const dir = project.path('.pipeline');
    const saved = project.path('pipeline-saved');
    await rm(saved, { recursive: true, force: true });
    await cp(dir, saved, { recursive: true });
    if (!(await mountTmpfs(t, dir, size))) return false;
    mounts.push(dir);
    await cp(saved, dir, { recursive: true });
    return true;
  }

  it('read-only: status and plan work, run says the file system is read-only, exit 3', async (t) => {
    if (!(await pipelineOnTmpfs(t, '4m'))) return;
    // Its caches gone too (a state committed or copied without them): nothing may need them.
    await rm(project.path('.pipeline', 'cache'), { recursive: true, force: true });
    await execa('mount', ['-o', 'remount,ro', project.path('.pipeline')]);
    for (const command of [['status'], ['plan'], ['runs']]) {
      const result = await project.run(command);
      assert.equal(result.exitCode, 0, `${command}: ${result.stderr}`);
    }
    const run = await project.run(['run', '--set', 'training.hyperparameters.epochs=4']);
    assert.equal(run.exitCode, 3, run.stdout + run.stderr);
    assert.match(run.stderr, /cannot write .*\.pipeline.*: the file system is read-only \(EROFS\)/);
    assert.doesNotMatch(run.stderr, /internal error|bug/);
    assert.equal(await project.read('.pipeline/state.json'), state);
    await execa('umount', [project.path('.pipeline')]);
    mounts.pop();
  });

  it('a full disk: run says the disk is full, never "internal error", and the state survives', async (t) => {
    if (!(await pipelineOnTmpfs(t, '512k'))) return;
    // Fill what is left, as a disk fills up.
    await execa('dd', ['if=/dev/zero', `of=${project.path('.pipeline', 'filler')}`, 'bs=4k'], {
      reject: false,
    });
    const run = await project.run(['run', '--set', 'training.hyperparameters.epochs=5']);
    assert.ok([1, 3].includes(run.exitCode), `exit ${run.exitCode}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, /the disk is full \(ENOSPC\)/);
    assert.doesNotMatch(run.stderr, /internal error|looks like a bug/);
    assert.equal(JSON.parse(await readFile(project.path('.pipeline', 'state.json'), 'utf8')).version, 1);
    const status = await project.run(['status']);
    assert.equal(status.exitCode, 0, status.stderr);
    await execa('umount', [project.path('.pipeline')]);
    mounts.pop();
  });
});
