import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys } from '../../../src/local-sagemaker/s3/key-order.js';
import { listPage } from '../../../src/local-sagemaker/s3/list-objects.js';

/** The whole listing as S3 defines it, without paging: keys and rolled-up common prefixes, in order. */
function reference(keys: readonly string[], prefix: string, delimiter: string): string[] {
  const entries = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    entries.add(cut === -1 ? key : key.slice(0, cut + delimiter.length));
  }
  return [...entries].sort(compareKeys);
}

/** Every page, each starting after the last entry of the one before (as NextMarker and the token do). */
function pageThrough(
  keys: readonly string[],
  prefix: string,
  delimiter: string,
  maxKeys: number,
): string[][] {
  const pages: string[][] = [];
  let startAfter = '';
  for (;;) {
    const page = listPage(keys, { prefix, delimiter, startAfter, maxKeys });
    const entries = [...page.keys, ...page.commonPrefixes].sort(compareKeys);
    assert.ok(entries.length <= maxKeys, 'keys and common prefixes together fit in max-keys');
    pages.push(entries);
    if (!page.truncated) return pages;
    assert.equal(page.last, entries.at(-1));
    startAfter = page.last as string;
  }
}

const KEYS = [
  'a.csv',
  'data/',
  'data/train/1.csv',
  'data/train/2.csv',
  'data/train/deep/3.csv',
  'data/validation/1.csv',
  'data//double',
  'data/x.csv',
  'model.tar.gz',
  'z/😀.bin',
  'z/\u{e000}.bin',
].sort(compareKeys);

describe('a page of ListObjects', () => {
  it('gives every entry exactly once, in order, for every page size, prefix and delimiter', () => {
    for (const prefix of ['', 'data/', 'data/t', 'z/', 'nothing/'])
      for (const delimiter of ['', '/', '.csv'])
        for (let maxKeys = 1; maxKeys <= KEYS.length + 1; maxKeys++)
          assert.deepEqual(
            pageThrough(KEYS, prefix, delimiter, maxKeys).flat(),
            reference(KEYS, prefix, delimiter),
            `prefix ${prefix}, delimiter ${delimiter}, max-keys ${maxKeys}`,
          );
  });

  it('lists a key equal to the prefix, and starts after a start-after that is not a key', () => {
    assert.deepEqual(listPage(KEYS, { prefix: 'a.csv', delimiter: '', startAfter: '', maxKeys: 10 }).keys, [
      'a.csv',
    ]);
    assert.deepEqual(
      listPage(KEYS, { prefix: 'data/train/', delimiter: '', startAfter: 'data/train/1.zzz', maxKeys: 10 })
        .keys,
      ['data/train/2.csv', 'data/train/deep/3.csv'],
    );
  });

  it('rolls a common prefix up once and counts it as one entry', () => {
    const page = listPage(KEYS, { prefix: 'data/', delimiter: '/', startAfter: '', maxKeys: 2 });
    assert.deepEqual(page.keys, ['data/']);
    assert.deepEqual(page.commonPrefixes, ['data//']);
    assert.equal(page.truncated, true);
  });
});
