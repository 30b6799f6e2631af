import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResourceStore } from '../../../src/local-sagemaker/protocol/resource-store.js';
import { TagStore } from '../../../src/local-sagemaker/sagemaker/tags.js';

interface Counter {
  name: string;
  count: number;
}

describe('the local SageMaker’s resource store', () => {
  let dir: string;
  const storeIn = (folder: string) =>
    new ResourceStore(
      folder,
      'us-east-1',
      { counters: { arn: 'counter', missing: 'Could not find counter' } },
      new TagStore(join(folder, 'tags'), async () => true),
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resource-store-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('loses no update when many change one record at once', async () => {
    const store = storeIn(join(dir, 'many'));
    await store.save('counters', 'c', { name: 'c', count: 0 });
    await Promise.all(
      Array.from({ length: 50 }, () =>
        store.update<Counter>('counters', 'c', async (record) => {
          // A change that waits in the middle, as one that reads a file or starts a server does.
          await new Promise((resolve) => setImmediate(resolve));
          return { ...record, count: record.count + 1 };
        }),
      ),
    );
    assert.equal((await storeIn(join(dir, 'many')).load<Counter>('counters', 'c'))?.count, 50);
  });

  it('never brings back a record erased while a change of it was waiting its turn', async () => {
    const store = storeIn(join(dir, 'erased'));
    await store.save('counters', 'gone', { name: 'gone', count: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // One change holds the record; an erase and a second change queue behind it.
    const first = store.update<Counter>('counters', 'gone', async (record) => {
      await held;
      return { ...record, count: 2 };
    });
    const erased = store.erase('counters', 'gone');
    let called = false;
    const second = store.update<Counter>('counters', 'gone', (record) => {
      called = true;
      return { ...record, count: 3 };
    });
    release();
    assert.equal((await first)?.count, 2);
    await erased;
    assert.equal(await second, undefined);
    assert.equal(called, false, 'a change of an erased record is not called');
    assert.equal(await storeIn(join(dir, 'erased')).load('counters', 'gone'), undefined);
    await assert.rejects(
      store.mustUpdate<Counter>('counters', 'gone', (record) => record),
      /Could not find counter/,
    );
  });
});
