import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Listed, listPage } from '../../../src/local-sagemaker/protocol/list-page.js';

// Created at 100, 200, 300, 400; modified 50 later; the odd ones InService.
const ITEMS: Listed[] = ['alpha', 'beta', 'gamma', 'delta'].map((name, index) => ({
  name,
  creationTime: (index + 1) * 100,
  lastModifiedTime: (index + 1) * 100 + 50,
  status: index % 2 === 0 ? 'InService' : 'Failed',
}));
const names = (input: Parameters<typeof listPage>[1]) =>
  listPage(ITEMS, input, (item) => item, { operation: 'ListTest' }).page.map((item) => item.name);

describe('a page of a SageMaker List call', () => {
  it('filters by name, status and the four times, as SageMaker reads them (exclusive bounds)', () => {
    assert.deepEqual(names({ NameContains: 'ET' }), ['beta']);
    assert.deepEqual(names({ StatusEquals: 'Failed' }), ['delta', 'beta']);
    assert.deepEqual(names({ CreationTimeAfter: 100, CreationTimeBefore: 400 }), ['gamma', 'beta']);
    assert.deepEqual(names({ LastModifiedTimeAfter: 250, LastModifiedTimeBefore: 450 }), ['gamma']);
    // The SDK sends times as epoch seconds; the aws CLI may send ISO strings.
    assert.deepEqual(names({ CreationTimeAfter: new Date(250_000).toISOString() }), ['delta', 'gamma']);
  });

  it('sorts newest first unless asked, by name or status too, and pages with its own tokens', () => {
    assert.deepEqual(names({}), ['delta', 'gamma', 'beta', 'alpha']);
    assert.deepEqual(names({ SortBy: 'Name', SortOrder: 'Ascending' }), ['alpha', 'beta', 'delta', 'gamma']);
    const first = listPage(ITEMS, { MaxResults: 3 }, (item) => item, { operation: 'ListTest' });
    assert.equal(first.page.length, 3);
    const second = listPage(ITEMS, { MaxResults: 3, NextToken: first.NextToken }, (item) => item, {
      operation: 'ListTest',
    });
    assert.deepEqual(
      second.page.map((item) => item.name),
      ['alpha'],
    );
    assert.throws(
      () =>
        listPage(ITEMS, { MaxResults: 3, NextToken: first.NextToken, NameContains: 'a' }, (item) => item, {
          operation: 'ListTest',
        }),
      /pagination token is invalid/,
    );
  });
});
