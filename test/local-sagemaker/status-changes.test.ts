// Status changes as events: the local SageMaker's feed wakes a waiter when the status of the
// resource it follows changes (and only then), its route asks for a signature like every other
// call, and the pipeline's wait between two Describe calls ends at a change instead of after its
// delay, or is the plain delay where a service has no such route.
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { StatusFeed } from '../../src/local-sagemaker/protocol/status-feed.js';
import { localStatusChanges } from '../../src/sagemaker/local-status-changes.js';
import { StatusWait } from '../../src/sagemaker/status-wait.js';
import { httpRequest } from '../../src/shared/http-request.js';
import { STATUS_CHANGES_PATH } from '../../src/shared/status-changes.js';
import { type LocalRig, putObjects, startLocalRig, trainingJobRequest } from '../rig/local-sagemaker.js';
import { TEST_KEY } from '../rig/test-key.js';

describe('the status feed', () => {
  it('answers at once without a change count, and when the count has passed it', async () => {
    const feed = new StatusFeed();
    assert.equal(await feed.wait('training-job/a', undefined, 60_000), 0);
    feed.saved('training-job/a', 'InProgress/Starting');
    assert.equal(await feed.wait('training-job/a', 0, 60_000), 1);
  });

  it('wakes a waiter when the status changes, not when the same status is saved again', async () => {
    const feed = new StatusFeed();
    feed.saved('training-job/a', 'InProgress/Training');
    let woken: number | undefined;
    const waiting = feed.wait('training-job/a', 1, 60_000).then((seq) => {
      woken = seq;
      return seq;
    });
    feed.saved('training-job/a', 'InProgress/Training'); // metrics saved: no change of status
    feed.saved('training-job/b', 'Completed/Completed'); // another job
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woken, undefined);
    feed.saved('training-job/a', 'Completed/Completed');
    assert.equal(await waiting, 2);
  });

  it('ends a wait after its time with the count unchanged, and every wait when it closes', async () => {
    const feed = new StatusFeed();
    assert.equal(await feed.wait('endpoint/e', 0, 1), 0);
    const waiting = feed.wait('endpoint/e', 0, 60_000);
    feed.close();
    assert.equal(await waiting, 0);
    assert.equal(await feed.wait('endpoint/e', 0, 60_000), 0, 'closed: at once');
  });
});

describe('waiting on the local SageMaker for a status change', () => {
  let rig: LocalRig;
  let program = '';
  before(async () => {
    rig = await startLocalRig();
    await putObjects(rig.s3, 'feed-bucket', { 'data/a.csv': '1,2\n' });
    // A job that trains in a blink: the statuses it passes through are what the test follows.
    program = rig.project.path('quick-model');
    await mkdir(program, { recursive: true });
    await writeFile(
      join(program, 'train'),
      `#!/usr/bin/env node
require('node:fs').writeFileSync(require('node:path').join(process.env.OPT_ML, 'model', 'model.txt'), 'made');
`,
    );
    await chmod(join(program, 'train'), 0o755);
  });
  after(async () => {
    await rig.close();
  });

  it('refuses an unsigned request, and one that names no resource', async () => {
    const unsigned = await httpRequest(`${rig.server.endpoint}${STATUS_CHANGES_PATH}?resource=endpoint/x`);
    assert.equal(unsigned.status, 403);
    const changes = localStatusChanges({
      endpoint: rig.server.endpoint,
      region: rig.server.region,
      credentials: TEST_KEY,
    });
    assert.equal(await changes.wait('endpoint/x', undefined, 0), 0);
    await assert.rejects(changes.wait('', undefined, 0), /answered 400: .*takes resource=TYPE\/NAME/);
  });

  it('describes a job once per change of status, however long the poll’s delay', async () => {
    const connection = {
      // A minute between polls: only the job's changes of status end a wait this test sees end.
      poll: { firstMs: 60_000, maxMs: 60_000 },
      statusChanges: localStatusChanges({
        endpoint: rig.server.endpoint,
        region: rig.server.region,
        credentials: TEST_KEY,
      }),
    };
    await rig.sagemaker.send(
      new CreateTrainingJobCommand(
        trainingJobRequest({
          name: 'quick-job',
          data: 's3://feed-bucket/data/',
          hyperparameters: {},
          maxRuntimeSeconds: 600,
          image: pathToFileURL(program).href,
        }),
      ),
    );
    const wait = await StatusWait.begin(connection, 'training-job', 'Quick-Job');
    const seen: string[] = [];
    for (;;) {
      const job = await rig.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'quick-job' }));
      seen.push(`${job.TrainingJobStatus}/${job.SecondaryStatus}`);
      if (job.TrainingJobStatus !== 'InProgress') break;
      await wait.next(AbortSignal.timeout(120_000));
    }
    assert.equal(seen.at(-1), 'Completed/Completed', seen.join(' → '));
    // Starting, Downloading, Training, Uploading, Completed: at most one Describe each, and one
    // more for a change that landed between the first Describe and the first wait.
    assert.ok(seen.length <= 6, seen.join(' → '));
  });

  it('is the poll’s plain delay where the service has no such route', async () => {
    let asked = 0;
    const other = createServer((_request, response) => {
      asked++;
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = other.address() as AddressInfo;
      const connection = {
        poll: { firstMs: 5, maxMs: 5 },
        statusChanges: localStatusChanges({
          endpoint: `http://127.0.0.1:${port}`,
          region: 'us-east-1',
          credentials: TEST_KEY,
        }),
      };
      const wait = await StatusWait.begin(connection, 'endpoint', 'ep');
      await wait.next(AbortSignal.timeout(60_000));
      await wait.next(AbortSignal.timeout(60_000));
      assert.equal(asked, 1, 'asked once, then waited without asking');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
