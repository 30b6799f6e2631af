// File fingerprints: streamed sha256, cached by stat so that unchanged files are not read again.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { utimes, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { FileHasher } from '../../../src/engine/plan/file-hasher.js';
import { withProject } from '../../rig/project.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('FileHasher', () => {
  it('hashes a file as sha256 and reads it only once while its stat is unchanged', async () => {
    await withProject({ 'data/big.bin': 'x'.repeat(10_000_000) }, async (project) => {
      const cache = project.path('.pipeline/cache.json');
      const first = await FileHasher.open(cache);
      assert.equal(await first.hashFile(project.path('data/big.bin')), sha256('x'.repeat(10_000_000)));
      assert.equal(first.bytesHashed, 10_000_000);
      await first.save();

      const second = await FileHasher.open(cache);
      assert.equal(await second.hashFile(project.path('data/big.bin')), sha256('x'.repeat(10_000_000)));
      assert.equal(second.bytesHashed, 0, 'served from the cache in a new process');
    });
  });

  it('notices a change that keeps the size and the modification time', async () => {
    await withProject({ 'data/a.csv': 'aaaa' }, async (project) => {
      const hasher = await FileHasher.open();
      const file = project.path('data/a.csv');
      const before = await hasher.hashFile(file);
      await writeFile(file, 'bbbb');
      const past = new Date('2020-01-01T00:00:00Z');
      await utimes(file, past, past);
      assert.notEqual(await hasher.hashFile(file), before);
    });
  });

  it('hashes a folder as its sorted tree, skipping excluded names, and reports missing paths', async () => {
    await withProject(
      {
        'ctx/b.txt': 'b',
        'ctx/a/inner.txt': 'inner',
        'ctx/node_modules/skip.js': 'skip',
      },
      async (project) => {
        const hasher = await FileHasher.open();
        const tree = await hasher.hashTree(project.path('ctx'), project.dir, ['node_modules']);
        assert.deepEqual(tree, { 'ctx/a/inner.txt': sha256('inner'), 'ctx/b.txt': sha256('b') });
        assert.deepEqual(await hasher.hashTree(project.path('nope'), project.dir), { nope: null });
      },
    );
  });
});
