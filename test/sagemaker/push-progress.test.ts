// `docker push` read as a count of layers, from the lines docker prints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pushProgress } from '../../src/sagemaker/push-progress.js';

describe('push progress', () => {
  it('counts the layers pushed or already there, once each, of all docker announced', () => {
    const shown: string[] = [];
    const read = pushProgress((text) => shown.push(text));
    for (const line of [
      'The push refers to repository [127.0.0.1:5000/model]',
      'a1b2c3d4e5f6: Preparing',
      '0123456789ab: Preparing',
      'fedcba987654: Preparing',
      'a1b2c3d4e5f6: Layer already exists',
      '0123456789ab: Pushed',
      '0123456789ab: Pushed',
      'fedcba987654: Pushed',
      'latest: digest: sha256:aaaa size: 1234',
    ])
      read(line);
    assert.deepEqual(
      shown.map((text) => text.replace(/,.*$/, '')),
      ['1 of 3 layers pushed', '2 of 3 layers pushed', '3 of 3 layers pushed'],
    );
  });
});
