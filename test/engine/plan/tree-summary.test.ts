// A folder of many files is one snapshot entry, known from its files' stats alone when none
// changed, and a change in it is still named file by file.
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { FileHasher } from '../../../src/engine/plan/file-hasher.js';
import { describeReason, diffSnapshots } from '../../../src/engine/plan/stale-reason.js';
import {
  parseTreeValue,
  TREE_SUMMARY_FILES,
  TreeListingStore,
} from '../../../src/engine/plan/tree-listings.js';
import { hashJson } from '../../../src/shared/canonical-json.js';
import { type TestProject, withProject } from '../../rig/project.js';

const FILES = TREE_SUMMARY_FILES + 200;
const manyFiles = (): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: FILES }, (_, i) => [
      `data/set/part-${String(i).padStart(4, '0')}.csv`,
      `${i},${i * 2}\n`,
    ]),
  );

const snapshotOf = (files: Record<string, string | null>) => ({
  stageVersion: 1,
  config: {},
  files,
  upstream: {},
});

async function summed(project: TestProject, cache: string) {
  const hasher = await FileHasher.open(cache);
  const files = await hasher.snapshotTree(project.path('data/set'), project.dir);
  await hasher.save();
  return { hasher, files, value: files['data/set/'] as string };
}

describe('a folder of many files in a snapshot', () => {
  it('is one tree value: the digest of its files, from their stats alone while none changes', async () => {
    await withProject(manyFiles(), async (project) => {
      const cache = project.path('.pipeline/cache/file-hashes.json');
      const first = await summed(project, cache);
      assert.deepEqual(Object.keys(first.files), ['data/set/']);
      const flat = await (await FileHasher.open()).hashTree(project.path('data/set'), project.dir);
      assert.equal(Object.keys(flat).length, FILES);
      assert.deepEqual(parseTreeValue(first.value), { files: FILES, digest: hashJson(flat) });

      await writeFile(project.path('data/set/part-0007.csv'), 'changed\n');
      const second = await summed(project, cache);
      assert.notEqual(second.value, first.value);
      assert.equal(second.hasher.bytesHashed, 'changed\n'.length, 'only the changed file is read');

      // The per-file hashes are not needed while no file changes: damaged, they cost nothing.
      const folderCaches = project.path('.pipeline/cache/folder-hashes');
      for (const name of await readdir(folderCaches)) await writeFile(`${folderCaches}/${name}`, '{damaged');
      const third = await summed(project, cache);
      assert.equal(third.value, second.value);
      assert.equal(third.hasher.bytesHashed, 0);
    });
  });

  it('moves its files out of a cache kept before folders had caches of their own, reading nothing again', async () => {
    await withProject({ ...manyFiles(), 'ctx/app.py': 'print(1)\n' }, async (project) => {
      const cache = project.path('.pipeline/cache/file-hashes.json');
      // A cache from before: every file's hash in the one file.
      const old = await FileHasher.open(cache);
      await old.hashTree(project.path('data/set'), project.dir);
      await old.hashTree(project.path('ctx'), project.dir);
      await old.save();
      assert.equal(Object.keys(JSON.parse(await readFile(cache, 'utf8'))).length, FILES + 1);

      const first = await summed(project, cache);
      assert.equal(first.hasher.bytesHashed, 0);
      await writeFile(project.path('data/set/part-0001.csv'), 'new\n');
      const second = await summed(project, cache);
      assert.equal(second.hasher.bytesHashed, 'new\n'.length);
      assert.deepEqual(Object.keys(JSON.parse(await readFile(cache, 'utf8'))), [project.path('ctx/app.py')]);
      const small = await FileHasher.open(cache);
      await small.hashTree(project.path('ctx'), project.dir);
      assert.equal(small.bytesHashed, 0);
    });
  });

  it('explains a change file by file from the kept listings, and as the folder when they are gone', async () => {
    await withProject(manyFiles(), async (project) => {
      const cache = project.path('.pipeline/cache/file-hashes.json');
      const before = await summed(project, cache);
      await writeFile(project.path('data/set/part-0007.csv'), 'changed\n');
      await rm(project.path('data/set/part-0008.csv'));
      const after = await summed(project, cache);
      const listings = new TreeListingStore(project.path('.pipeline/cache/trees'));
      const reasons = diffSnapshots(snapshotOf(before.files), snapshotOf(after.files), listings);
      assert.deepEqual(reasons.map(describeReason), [
        'data/set/part-0007.csv modified',
        'data/set/part-0008.csv removed',
      ]);

      await rm(project.path('.pipeline/cache/trees'), { recursive: true });
      const unexplained = diffSnapshots(snapshotOf(before.files), snapshotOf(after.files), listings);
      assert.deepEqual(unexplained.map(describeReason), ['data/set/ modified']);
    });
  });

  it('compares file by file with the entries of a snapshot from before the folder was summed up', async () => {
    await withProject(manyFiles(), async (project) => {
      const flat = await (await FileHasher.open()).hashTree(project.path('data/set'), project.dir);
      await writeFile(project.path('data/set/part-0003.csv'), 'changed\n');
      const after = await summed(project, project.path('.pipeline/cache/file-hashes.json'));
      const listings = new TreeListingStore(project.path('.pipeline/cache/trees'));
      const reasons = diffSnapshots(snapshotOf(flat), snapshotOf(after.files), listings);
      assert.deepEqual(reasons.map(describeReason), ['data/set/part-0003.csv modified']);
    });
  });
});
