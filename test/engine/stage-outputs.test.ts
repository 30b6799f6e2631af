// Outputs cross stages through their producer's reader: a field that is missing or of another
// kind is a clear error naming the stage, the field and the way out, never "undefined" passed on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StageError } from '../../src/shared/errors.js';
import { readBuildOutputs } from '../../stages/build.js';
import { readPushOutputs } from '../../stages/push.js';
import { readUploadOutputs } from '../../stages/upload.js';

describe('stage output readers', () => {
  it('return the typed outputs when they are whole', () => {
    assert.equal(
      readPushOutputs({ imageUri: 'repo@sha256:1', pushed: true }, '/project').imageUri,
      'repo@sha256:1',
    );
    assert.deepEqual(
      readBuildOutputs({ runtime: 'docker', image: 'm:latest', imageId: 'sha256:2' }, '/project'),
      {
        runtime: 'docker',
        image: 'm:latest',
        imageId: 'sha256:2',
      },
    );
    assert.deepEqual(
      readUploadOutputs({ bucket: 'b', channels: { training: { s3Uri: 's3://b/t/', files: 1 } } }),
      {
        bucket: 'b',
        channels: { training: { s3Uri: 's3://b/t/' } },
      },
    );
  });

  it('name the stage, the field and the way out when a field is missing or of another kind', () => {
    const refused = (read: () => unknown, message: RegExp) =>
      assert.throws(read, (error: Error) => error instanceof StageError && message.test(error.message));
    refused(
      () => readPushOutputs({ image: 'renamed' }, '/project'),
      /push's recorded outputs have no imageUri, not a string: run `pipeline run --from push`/,
    );
    refused(
      () => readPushOutputs({ imageUri: 3, pushed: true }, '/project'),
      /imageUri as a number, not a string/,
    );
    refused(() => readPushOutputs(undefined, '/project'), /push has no recorded outputs/);
    refused(
      () => readBuildOutputs({ runtime: 'docker', image: 'm' }, '/project'),
      /build's recorded outputs are not a docker image/,
    );
    refused(
      () => readUploadOutputs({ bucket: 'b', channels: { training: {} } }),
      /channel training has no s3Uri/,
    );
  });

  it('give the programs of a process-runtime image where the project is now (a moved project)', () => {
    const built = readBuildOutputs(
      { runtime: 'process', image: 'm:latest', programDir: 'container', contentHash: 'sha256:3' },
      '/moved/here',
    );
    assert.equal(built.runtime === 'process' && built.programDir, '/moved/here/container');
    const pushed = readPushOutputs(
      { imageUri: 'file:///was/there/container', pushed: false, programDir: 'container' },
      '/moved/here',
    );
    assert.equal(pushed.imageUri, 'file:///moved/here/container');
  });
});
