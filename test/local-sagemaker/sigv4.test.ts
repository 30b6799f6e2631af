// The SigV4 check on its own, for what the real clients' tests cannot show without waiting: a
// request signed too long ago, a presigned URL past its expiry, both ways of signing at once.
// (Signatures made by the AWS SDK, the aws CLI and boto3 are checked in request-auth.test.ts.)
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { verifySigV4 } from '../../src/local-sagemaker/protocol/sigv4.js';
import { signedHeaders } from '../../src/shared/sigv4.js';
import { TEST_KEY } from '../rig/test-key.js';

/** What the server sees of a request: its method, raw URL and headers. */
function received(method: string, url: string, headers: Record<string, string>): IncomingMessage {
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return {
    method,
    url,
    headers: lower,
    headersDistinct: Object.fromEntries(Object.entries(lower).map(([name, value]) => [name, [value]])),
  } as unknown as IncomingMessage;
}

const signedAt = new Date('2026-12-07T10:00:00Z');
function signed(path: string, body = '{}') {
  const url = new URL(`http://127.0.0.1:4000${path}`);
  const headers = signedHeaders({
    method: 'POST',
    url,
    headers: { 'x-amz-target': 'SageMaker.ListTrainingJobs' },
    body,
    region: 'us-east-1',
    service: 'sagemaker',
    key: TEST_KEY,
    now: signedAt,
  });
  return received('POST', `${url.pathname}${url.search}`, { ...headers, host: url.host });
}

describe('SigV4 verification', () => {
  it('accepts a signed request within 15 minutes of its time, and the query in any order', () => {
    const request = signed('/?b=2&a=%C3%A9%20x&a=1');
    const later = new Date(signedAt.getTime() + 14 * 60_000);
    assert.deepEqual(
      verifySigV4(request, { keys: [TEST_KEY], s3: false, body: Buffer.from('{}'), now: later }),
      {
        ok: true,
        accessKeyId: TEST_KEY.accessKeyId,
      },
    );
  });

  it('refuses it 16 minutes later, or with another body', () => {
    const request = signed('/');
    const late = new Date(signedAt.getTime() + 16 * 60_000);
    const skewed = verifySigV4(request, { keys: [TEST_KEY], s3: false, body: Buffer.from('{}'), now: late });
    assert.deepEqual(skewed, { ok: false, failure: { kind: 'skewed', requestTime: '20261207T100000Z' } });
    const other = verifySigV4(request, {
      keys: [TEST_KEY],
      s3: false,
      body: Buffer.from('{"x":1}'),
      now: signedAt,
    });
    assert.equal(!other.ok && other.failure.kind, 'mismatch');
  });

  it('refuses a presigned URL past its expiry, and one signed both ways at once', () => {
    const query =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=K%2F20261207%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T100000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00';
    const request = received('GET', `/b/k?${query}`, { host: '127.0.0.1:4000' });
    const late = new Date(signedAt.getTime() + 61_000);
    assert.deepEqual(verifySigV4(request, { keys: [TEST_KEY], s3: true, now: late }), {
      ok: false,
      failure: { kind: 'expired' },
    });
    const both = received('GET', `/b/k?${query}`, {
      host: '127.0.0.1:4000',
      authorization: 'AWS4-HMAC-SHA256 x',
    });
    const refused = verifySigV4(both, { keys: [TEST_KEY], s3: true, now: signedAt });
    assert.equal(!refused.ok && refused.failure.kind, 'malformed');
  });
});
