// Listing a data folder as a user lays it out: links to folders and files followed, a link back
// into the tree not followed twice, a broken link named; and the plan over such a folder works.
import assert from 'node:assert/strict';
import { mkdir, symlink } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { FileHasher } from '../../src/engine/plan/file-hasher.js';
import { BrokenLinkError, listFiles } from '../../src/shared/list-files.js';
import { BASE_CONFIG, withProject } from '../rig/project.js';

describe('listFiles', () => {
  it('follows links to folders and files, once, sorted, and skips hidden names when asked', async () => {
    await withProject(
      { 'data/set/2026/a.csv': '1\n', 'data/set/2026/.hidden': 'x', 'data/one.csv': '2\n' },
      async (project) => {
        await symlink('2026', project.path('data/set/latest'));
        await symlink('../one.csv', project.path('data/set/one-link.csv'));
        await symlink('..', project.path('data/set/2026/loop'));
        const listed = (await listFiles(project.path('data/set'), { skipHidden: true })).map((file) =>
          relative(project.dir, file),
        );
        assert.deepEqual(
          listed,
          [
            'data/set/2026/a.csv',
            'data/set/2026/loop/latest/a.csv',
            'data/set/2026/loop/one-link.csv',
            'data/set/latest/a.csv',
            'data/set/latest/loop/2026/a.csv',
            'data/set/latest/loop/one-link.csv',
            'data/set/one-link.csv',
          ].filter((path) => !path.includes('/loop/')),
        );
      },
    );
  });

  it('names a broken link, or lists it for the hasher, which counts it as missing', async () => {
    await withProject({ 'data/set/a.csv': '1\n' }, async (project) => {
      await symlink('nowhere', project.path('data/set/gone.csv'));
      await assert.rejects(listFiles(project.path('data/set')), (error: Error) => {
        assert.ok(error instanceof BrokenLinkError);
        assert.match(error.message, /gone\.csv is a symbolic link to something that does not exist/);
        return true;
      });
      const hashes = await (await FileHasher.open()).hashTree(project.path('data/set'), project.dir);
      assert.equal(hashes['data/set/gone.csv'], null);
      assert.equal(typeof hashes['data/set/a.csv'], 'string');
    });
  });

  it('lets plan and run fingerprint a data folder that holds a link to a folder', async () => {
    const config = BASE_CONFIG.replace('path: data/train.csv', 'path: data/set');
    await withProject({ 'pipeline.yaml': config, 'data/set/2026/a.csv': '1,2,0\n' }, async (project) => {
      await mkdir(project.path('data/set'), { recursive: true });
      await symlink('2026', project.path('data/set/latest'));
      const plan = await project.run(['plan']);
      assert.equal(plan.exitCode, 0, plan.stdout + plan.stderr);
      const run = await project.run(['run']);
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    });
  });
});
