// The local S3 honours conditional writes as S3 does (the lock and state writes of a shared
// state backend rest on them): If-None-Match: * creates only, If-Match writes only over the
// version read, a failed condition is 412 PreconditionFailed, a conditional write that meets
// another write of the key in progress is 409 ConditionalRequestConflict, and no GET ever sees part
// of an object being written; through the AWS SDK.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startTestS3, type TestS3 } from '../../rig/local-s3.js';
import { waitFor } from '../../rig/project.js';

describe('conditional writes in the local S3', () => {
  let server: TestS3;
  let s3: S3Client;
  const put = (Key: string, Body: string, conditions: { IfNoneMatch?: string; IfMatch?: string } = {}) =>
    s3.send(new PutObjectCommand({ Bucket: 'state', Key, Body, ...conditions }));
  const read = async (Key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: 'state', Key }))).Body?.transformToString();

  before(async () => {
    server = await startTestS3('state');
    s3 = server.s3;
  });
  after(() => server.stop());

  it('creates only what is not there with If-None-Match: *', async () => {
    const created = await put('lock.json', 'first', { IfNoneMatch: '*' });
    assert.ok(created.ETag);
    await assert.rejects(
      put('lock.json', 'second', { IfNoneMatch: '*' }),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, 'PreconditionFailed');
        assert.equal(error.$metadata?.httpStatusCode, 412);
        return true;
      },
    );
    const body = await read('lock.json');
    assert.equal(body, 'first', 'the refused write changed nothing');
  });

  it('writes over the version read with If-Match, and refuses a stale one', async () => {
    const first = await put('state.json', 'v1');
    const second = await put('state.json', 'v2', { IfMatch: first.ETag as string });
    assert.notEqual(second.ETag, first.ETag);
    await assert.rejects(put('state.json', 'v3 from a stale read', { IfMatch: first.ETag as string }), {
      name: 'PreconditionFailed',
    });
    await assert.rejects(put('never-written.json', 'x', { IfMatch: first.ETag as string }), {
      name: 'NoSuchKey',
    });
    const body = await read('state.json');
    assert.equal(body, 'v2');
  });

  it('answers 409 ConditionalRequestConflict to a conditional write that meets one in progress', async () => {
    const slow = new PassThrough();
    const inProgress = s3.send(
      new PutObjectCommand({
        Bucket: 'state',
        Key: 'race.json',
        Body: slow,
        ContentLength: 10,
        IfNoneMatch: '*',
      }),
    );
    slow.write('01234');
    // The first write has started once the server has its first bytes: wait for the key to be busy.
    let conflict: (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
    for (let attempt = 0; attempt < 200 && !conflict; attempt++) {
      conflict = await put('race.json', 'other', { IfNoneMatch: '*' }).then(
        () => assert.fail('the second conditional write must not succeed'),
        (error) => (error.name === 'ConditionalRequestConflict' ? error : undefined),
      );
      if (!conflict) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(conflict?.$metadata?.httpStatusCode, 409);
    slow.end('56789');
    await inProgress;
    const body = await read('race.json');
    assert.equal(body, '0123456789');
  });

  it('never shows part of an object: a GET during a PUT finds nothing, after it all', async () => {
    const slow = new PassThrough();
    const inProgress = s3.send(
      new PutObjectCommand({ Bucket: 'state', Key: 'atomic.bin', Body: slow, ContentLength: 10 }),
    );
    slow.write('01234');
    // The server is writing once a file for the key is in the bucket's folder.
    await waitFor(
      async () =>
        (await readdir(join(server.dir, 'state'))).some((name) => name.startsWith('atomic.bin'))
          ? true
          : undefined,
      'the PUT to reach the store',
    );
    await assert.rejects(
      s3.send(new GetObjectCommand({ Bucket: 'state', Key: 'atomic.bin' })),
      (error: Error) => error.name === 'NoSuchKey',
    );
    slow.end('56789');
    await inProgress;
    const body = await read('atomic.bin');
    assert.equal(body, '0123456789');
  });

  it('lets exactly one of ten writers racing with If-None-Match: * create the key', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, writer) =>
        put('contended.json', `writer ${writer}`, { IfNoneMatch: '*' }),
      ),
    );
    const winners = results.flatMap((result, writer) => (result.status === 'fulfilled' ? [writer] : []));
    assert.equal(winners.length, 1, 'one winner');
    for (const result of results)
      if (result.status === 'rejected')
        assert.match((result.reason as Error).name, /^(PreconditionFailed|ConditionalRequestConflict)$/);
    const body = await read('contended.json');
    assert.equal(body, `writer ${winners[0]}`);
  });

  it('completes a multipart upload only if the key is free, with If-None-Match: *', async () => {
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'state', Key: 'lock.json' }));
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: 'state',
        Key: 'lock.json',
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: 'x',
      }),
    );
    await assert.rejects(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'state',
          Key: 'lock.json',
          UploadId: upload.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
          IfNoneMatch: '*',
        }),
      ),
      { name: 'PreconditionFailed' },
    );
  });
});
