import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { ObjectLayout } from '../../../src/local-sagemaker/s3/object-layout.js';

describe('where the local S3 keeps a key', () => {
  const root = mkdtempSync(join(tmpdir(), 'object-layout-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const layout = new ObjectLayout(root);

  it('keeps every key inside its bucket, under a name that gives the key back', () => {
    const keys = [
      'a',
      '../escape',
      'a/./b',
      '//',
      '~tilde',
      '._S3rver_uploads/x',
      `long/${'é'.repeat(400)}`,
      'a/',
    ];
    for (const key of keys) {
      const file = layout.objectFile('bucket', key, 'object');
      assert.ok(!relative(join(root, 'bucket'), file).startsWith('..'), `${key} stays inside the bucket`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, key);
    }
    assert.deepEqual(layout.keysUnder('bucket', '').sort(), [...keys].sort());
    assert.deepEqual(layout.keysUnder('bucket', 'long/x'), [`long/${'é'.repeat(400)}`]);
  });
});
