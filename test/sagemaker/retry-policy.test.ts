// One retry policy: the SDK's standard mode, configured once (retry-policy.ts), nothing on top.
// A real SDK client against a local server that answers 429 and 503: the number of HTTP attempts
// is the configured maximum, not more; a throttled request that then succeeds counts its retries;
// Ctrl-C during a back-off ends the wait at once.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { invokeInBatches } from '../../src/sagemaker/invoke-batches.js';
import { MAX_ATTEMPTS, RETRY_SETTINGS } from '../../src/sagemaker/retry-policy.js';
import { StageError } from '../../src/shared/errors.js';
import { TEST_KEY } from '../rig/test-key.js';

type Answer = { status: number; type?: string; body?: string };

describe('the retry policy', () => {
  let server: Server;
  let runtime: SageMakerRuntimeClient;
  let script: (attempt: number) => Answer = () => ({ status: 200 });
  let attempts = 0;
  let onRequest: (attempt: number) => void = () => undefined;

  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        attempts++;
        const answer = script(attempts);
        response.writeHead(answer.status, {
          'Content-Type': answer.type ? 'application/json' : 'text/csv',
          ...(answer.type ? { 'x-amzn-ErrorType': answer.type } : {}),
        });
        response.end(answer.body ?? (answer.type ? JSON.stringify({ message: answer.type }) : ''));
        onRequest(attempts);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    runtime = new SageMakerRuntimeClient({
      ...RETRY_SETTINGS,
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: TEST_KEY,
    });
  });
  after(async () => {
    runtime.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const invoke = (signal = new AbortController().signal) =>
    invokeInBatches({
      connection: { runtime },
      endpointName: 'e',
      rows: ['1,2', '3,4'],
      contentType: 'text/csv',
      accept: 'text/csv',
      batchSize: 10,
      concurrency: 1,
      step: () => undefined,
      progress: () => undefined,
      log: () => undefined,
      signal,
    });

  it(`makes exactly ${MAX_ATTEMPTS} attempts at a request that keeps failing with 503`, async () => {
    attempts = 0;
    script = () => ({ status: 503, type: 'ServiceUnavailable' });
    await assert.rejects(invoke(), (error: Error) => {
      assert.ok(error instanceof StageError);
      assert.match(error.message, /invoking e with rows 1-2 failed: ServiceUnavailable/);
      return true;
    });
    assert.equal(attempts, MAX_ATTEMPTS);
  });

  it('retries throttling, then counts the retries of the answer', async () => {
    attempts = 0;
    script = (attempt) =>
      attempt <= 2
        ? { status: 429, type: 'ThrottlingException' }
        : { status: 200, body: '0.1,0.9\n0.8,0.2\n' };
    const result = await invoke();
    assert.deepEqual(result.predictions, ['0.1,0.9', '0.8,0.2']);
    assert.equal(result.retries, 2);
    assert.equal(attempts, 3);
  });

  it('ends a back-off at once on Ctrl-C, without another attempt', async () => {
    attempts = 0;
    script = () => ({ status: 429, type: 'ThrottlingException' });
    const interrupt = new AbortController();
    onRequest = () => interrupt.abort();
    try {
      await assert.rejects(invoke(interrupt.signal), { name: 'AbortError' });
      assert.equal(attempts, 1, 'the back-off was not waited out');
    } finally {
      onRequest = () => undefined;
    }
  });
});
