// The local S3 as the aws CLI and boto3 use it: clients nobody here wrote, sending keys that need
// escaping through every listing, copy, ranged read, batch delete and checksum they make.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { AWS_CLI_ENV, awsCliAvailable } from '../../rig/aws-cli.js';
import { startTestS3, type TestS3 } from '../../rig/local-s3.js';

const BUCKET = 'clients';
const FILES: Record<string, string> = {
  'plain.csv': 'a,b\n1,2\n',
  'with space.txt': 'spaced',
  'plus+sign.txt': 'plus',
  'percent%41.txt': 'percent',
  'ünï/cödé.txt': 'unicode',
  'deep/a/b/c.txt': 'deep',
};

describe('the local S3 through the aws CLI and boto3', () => {
  let server: TestS3;
  let dir: string;
  const aws = (args: string[]) =>
    execa('aws', ['--endpoint-url', server.endpoint, ...args], { env: AWS_CLI_ENV, reject: false, cwd: dir });
  const ok = async (args: string[]) => {
    const result = await aws(args);
    assert.equal(result.exitCode, 0, `aws ${args.join(' ')}: ${result.stderr}`);
    return String(result.stdout);
  };

  before(async () => {
    server = await startTestS3(BUCKET);
    dir = await mkdtemp(join(tmpdir(), 's3-clients-'));
    for (const [name, content] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, 'up', name)), { recursive: true });
      await writeFile(join(dir, 'up', name), content);
    }
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies a tree up and down, and lists it by folder and whole, with keys that need escaping', async (t) => {
    if (!(await awsCliAvailable(t))) return;
    await ok(['s3', 'cp', 'up', `s3://${BUCKET}/up/`, '--recursive']);
    const byFolder = await ok(['s3', 'ls', `s3://${BUCKET}/up/`]);
    for (const line of [
      'PRE deep/',
      'PRE ünï/',
      'plain.csv',
      'with space.txt',
      'plus+sign.txt',
      'percent%41.txt',
    ])
      assert.ok(byFolder.includes(line), `${line} in\n${byFolder}`);
    const whole = await ok(['s3', 'ls', `s3://${BUCKET}/up/`, '--recursive']);
    for (const name of Object.keys(FILES)) assert.ok(whole.includes(`up/${name}`), `up/${name} in\n${whole}`);
    await ok(['s3', 'sync', `s3://${BUCKET}/up/`, 'down']);
    for (const [name, content] of Object.entries(FILES))
      assert.equal(await readFile(join(dir, 'down', name), 'utf8'), content, name);
    // Nothing changed: a second sync sends nothing.
    assert.equal((await ok(['s3', 'sync', `s3://${BUCKET}/up/`, 'down'])).trim(), '');
  });

  it('copies with new metadata, reads a range, lists v1 by delimiter and deletes in a batch', async (t) => {
    if (!(await awsCliAvailable(t))) return;
    await ok(['s3', 'cp', 'up/plain.csv', `s3://${BUCKET}/api/plain.csv`]);
    await ok([
      's3api',
      'copy-object',
      '--bucket',
      BUCKET,
      '--key',
      'api/copied+1.csv',
      '--copy-source',
      `${BUCKET}/api/plain.csv`,
      '--metadata-directive',
      'REPLACE',
      '--metadata',
      'origin=copy',
    ]);
    const head = JSON.parse(
      await ok(['s3api', 'head-object', '--bucket', BUCKET, '--key', 'api/copied+1.csv']),
    );
    assert.deepEqual(head.Metadata, { origin: 'copy' });
    assert.equal(head.ContentLength, FILES['plain.csv']?.length);
    await ok([
      's3api',
      'get-object',
      '--bucket',
      BUCKET,
      '--key',
      'api/copied+1.csv',
      '--range',
      'bytes=2-4',
      'range.out',
    ]);
    assert.equal(await readFile(join(dir, 'range.out'), 'utf8'), 'b\n1');
    const listed = JSON.parse(
      await ok([
        's3api',
        'list-objects',
        '--bucket',
        BUCKET,
        '--prefix',
        'api/',
        '--delimiter',
        '/',
        '--max-keys',
        '1',
      ]),
    );
    assert.deepEqual(
      listed.Contents?.map((object: { Key: string }) => object.Key),
      ['api/copied+1.csv'],
    );
    const deleted = JSON.parse(
      await ok([
        's3api',
        'delete-objects',
        '--bucket',
        BUCKET,
        '--delete',
        JSON.stringify({ Objects: [{ Key: 'api/plain.csv' }, { Key: 'api/copied+1.csv' }] }),
      ]),
    );
    assert.equal(deleted.Deleted.length, 2);
    const left = JSON.parse(await ok(['s3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', 'api/']));
    assert.equal(left.Contents, undefined, 'nothing left under api/');
  });

  it('answers boto3’s checksums: a SHA-256 stored and returned, a CRC32 multipart upload, a tampered body refused', async (t) => {
    const python = await execa('python3', ['-c', 'import boto3'], { reject: false });
    if (python.exitCode !== 0) {
      if (process.env.CI) throw new Error('CI=true but python3 has no boto3');
      t.skip('python3 has no boto3');
      return;
    }
    const script = `
import boto3, botocore, io, json, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')
out = {}
put = s3.put_object(Bucket='${BUCKET}', Key='py/sha.bin', Body=b'x' * 1000, ChecksumAlgorithm='SHA256')
got = s3.get_object(Bucket='${BUCKET}', Key='py/sha.bin', ChecksumMode='ENABLED')
out['sha'] = [put['ChecksumSHA256'], got['ChecksumSHA256'], len(got['Body'].read())]
s3.upload_fileobj(io.BytesIO(b'y' * (12 * 1024 * 1024)), '${BUCKET}', 'py/big.bin',
  Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
out['big'] = s3.head_object(Bucket='${BUCKET}', Key='py/big.bin')['ETag']
try:
  s3.put_object(Bucket='${BUCKET}', Key='py/sha.bin', Body=b'tampered', ChecksumSHA256=put['ChecksumSHA256'])
  out['tampered'] = 'accepted'
except botocore.exceptions.ClientError as error:
  out['tampered'] = error.response['Error']['Code']
out['after'] = len(s3.get_object(Bucket='${BUCKET}', Key='py/sha.bin')['Body'].read())
pages = s3.get_paginator('list_objects_v2').paginate(Bucket='${BUCKET}', Prefix='py/', Delimiter='/', PaginationConfig={'PageSize': 1})
out['keys'] = [o['Key'] for page in pages for o in page.get('Contents', [])]
print(json.dumps(out))
`;
    const run = await execa('python3', ['-c', script, server.endpoint], { env: AWS_CLI_ENV, reject: false });
    assert.equal(run.exitCode, 0, String(run.stderr));
    const out = JSON.parse(String(run.stdout));
    assert.equal(out.sha[0], out.sha[1]);
    assert.equal(out.sha[2], 1000);
    assert.match(out.big, /^"[0-9a-f]{32}-3"$/);
    assert.equal(out.tampered, 'BadDigest');
    assert.equal(out.after, 1000, 'the refused PUT left the object as it was');
    assert.deepEqual(out.keys, ['py/big.bin', 'py/sha.bin']);
  });
});
