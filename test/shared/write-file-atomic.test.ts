// writeFileAtomic under concurrent writes of one path (a stage finishing as Ctrl-C lands both
// write the state): every write completes, the file holds the last one asked for, whole, and no
// temp file is left. Writes of one millisecond once shared a temp name and renamed a torn file.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from '../../src/shared/write-file-atomic.js';

describe('writeFileAtomic', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keeps the last of many writes at once, whole, and leaves no temp file', async () => {
    const path = join(dir, 'state.json');
    // Contents of different lengths: a torn file would show the tail of a longer one.
    const contents = Array.from({ length: 50 }, (_, index) =>
      JSON.stringify({ write: index, padding: 'x'.repeat((49 - index) * 100) }),
    );
    await Promise.all(contents.map((content) => writeFileAtomic(path, content)));
    assert.equal(await readFile(path, 'utf8'), contents.at(-1));
    assert.deepEqual(await readdir(dir), ['state.json']);
  });

  it('lets a failed write not hold up the next', async () => {
    const path = join(dir, 'missing-folder', 'file.json');
    const failed = writeFileAtomic(path, 'a');
    const next = writeFileAtomic(join(dir, 'other.json'), 'b');
    await assert.rejects(failed, /ENOENT/);
    await next;
    const retried = writeFileAtomic(path, 'c');
    await assert.rejects(
      retried,
      /ENOENT/,
      'a write after a failed one of the same path runs, and fails on its own',
    );
  });
});
