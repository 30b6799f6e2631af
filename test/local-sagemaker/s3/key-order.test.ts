import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys, insertSorted, removeSorted } from '../../../src/local-sagemaker/s3/key-order.js';

const SAMPLES = [
  '',
  'a',
  'a/',
  'a/b',
  'a0',
  'A',
  'é',
  '\u{e000}',
  '\u{ffff}',
  '😀',
  '😀x',
  'z',
  '~',
  'a b',
  'a+b',
];
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('S3’s key order', () => {
  it('agrees with UTF-8 byte order, code points above U+FFFF included', () => {
    for (const a of SAMPLES)
      for (const b of SAMPLES)
        assert.equal(
          Math.sign(compareKeys(a, b)),
          byBytes(a, b),
          `${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
        );
  });

  it('keeps a sorted list sorted and free of duplicates through inserts and removals', () => {
    const keys: string[] = [];
    for (const key of [...SAMPLES, ...SAMPLES]) insertSorted(keys, key);
    assert.deepEqual(keys, [...SAMPLES].sort(byBytes));
    removeSorted(keys, '😀');
    removeSorted(keys, 'not there');
    assert.deepEqual(keys, SAMPLES.filter((key) => key !== '😀').sort(byBytes));
  });
});
