// The S3 state backend as a team and its CI meet it: two clones of one pipeline (two working
// folders, as two machines have) share one state, lock and run history under an S3 prefix, in the
// S3 of the local SageMaker they share (local.endpoint; its S3 honours conditional writes as S3
// does).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { readServerFacts, stopLocalDaemon } from '../../../src/local-sagemaker/daemon.js';
import { type LocalSageMaker, startLocalSageMaker } from '../../../src/local-sagemaker/local-sagemaker.js';
import { S3StateBackend } from '../../../src/sagemaker/s3-state-backend.js';
import { localS3Client } from '../../rig/local-s3.js';
import { BASE_CONFIG, TestProject, waitFor } from '../../rig/project.js';
import { daemonKey, TEST_KEY } from '../../rig/test-key.js';

const BUCKET = 'team-state';
const ENV = {
  AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
};

describe('the S3 state backend', () => {
  let dir: string;
  let server: LocalSageMaker;
  let s3: S3Client;
  const projects: TestProject[] = [];

  const shared = () => `local:\n  endpoint: ${server.endpoint}\n  s3Endpoint: ${server.s3Endpoint}\n`;
  /** A clone of the pipeline whose state lives under `prefix`. */
  async function clone(prefix: string, backend = 's3'): Promise<TestProject> {
    const state =
      backend === 's3' ? `${shared()}state:\n  backend: s3\n  bucket: ${BUCKET}\n  prefix: ${prefix}\n` : '';
    const project = await TestProject.create({ 'pipeline.yaml': `${BASE_CONFIG}${state}` });
    projects.push(project);
    return project;
  }
  const objectText = async (key: string) =>
    (await s3
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      .then((o) => o.Body?.transformToString())) ?? '';
  const keysUnder = async (prefix: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map(
      (object) => object.Key as string,
    );

  before(async () => {
    // The backend's S3 client takes credentials from the usual chain, as on a CI runner.
    Object.assign(process.env, ENV);
    // Working folders of the clones made by hand, beside (never inside) the server's folder.
    dir = await mkdtemp(join(tmpdir(), 'state-clones-'));
    server = await startLocalSageMaker({ dataDir: join(dir, 'team-sagemaker'), keys: [TEST_KEY] });
    s3 = localS3Client(server.s3Endpoint, { maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  after(async () => {
    for (const project of projects) await project.remove();
    s3.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shares state and history: a second clone sees the first one’s run and has nothing to do', async () => {
    const ci = await clone('shared');
    const laptop = await clone('shared');
    const run = await ci.runInProcess(['run'], { env: ENV });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const keys = await keysUnder('shared/');
    for (const key of ['shared/state.json', 'shared/secret-key'])
      assert.ok(keys.includes(key), `${key} in ${keys}`);
    assert.ok(
      keys.some((key) => /^shared\/runs\/[^/]+\.json$/.test(key)),
      'the run record',
    );
    assert.ok(!keys.includes('shared/lock.json'), 'the lock is released');

    const runs = await laptop.runInProcess(['runs', '--json'], { env: ENV });
    assert.equal(runs.exitCode, 0, runs.stderr);
    assert.equal(JSON.parse(runs.stdout).length, 1, 'the laptop sees the run CI made');
    const plan = await laptop.runInProcess(['plan', '--json'], { env: ENV });
    assert.equal(plan.exitCode, 0, plan.stderr);
    const stages = JSON.parse(plan.stdout).stages as { name: string; action: string }[];
    assert.deepEqual(
      stages.filter((stage) => stage.action === 'run').map((stage) => stage.name),
      [],
      'every stage is up to date on the other clone',
    );
  });

  it('runs two clones at once: one runs each stage once, the other waits and finds all up to date', async () => {
    const a = await clone('together');
    const b = await clone('together');
    const runBoth = await Promise.all(
      [a, b].map((project) => project.run(['run', '--lock-timeout', '2m', '--json'], { env: ENV })),
    );
    for (const result of runBoth) assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const ran = runBoth.map((result) =>
      Object.entries(JSON.parse(result.stdout).stages as Record<string, { action: string }>)
        .filter(([, stage]) => stage.action === 'ran')
        .map(([name]) => name)
        .join(','),
    );
    assert.deepEqual(ran.sort(), ['', 'build,upload,train,deploy'], 'one ran everything, the other nothing');
    const executions = [...(await a.executions()), ...(await b.executions())];
    for (const stage of ['train', 'deploy'])
      assert.equal(executions.filter((line) => line.startsWith(`${stage} `)).length, 1, `one ${stage}`);
  });

  it('shows a teammate every run a CI clone made: runs, show with its report, diff', async () => {
    const ci = await clone('history');
    const laptop = await clone('history');
    const env = { ...ENV, TEST_REPORT: '1' };
    assert.equal((await ci.run(['run'], { env })).exitCode, 0);
    const second = await ci.run(['run', '--set', 'training.hyperparameters.epochs=4'], { env });
    assert.equal(second.exitCode, 0, second.stderr);

    const runs = await laptop.runInProcess(['runs', '--json'], { env: ENV });
    const listed = JSON.parse(runs.stdout) as { id: string }[];
    assert.equal(listed.length, 2);
    const shown = await laptop.runInProcess(['show', 'last', '--json'], { env: ENV });
    assert.equal(shown.exitCode, 0, shown.stderr);
    const report = JSON.parse(shown.stdout).report as string;
    assert.match(await readFile(report, 'utf8'), new RegExp(`run ${listed[1]?.id}`), 'the report came too');
    const diff = await laptop.runInProcess(['diff'], { env: ENV });
    assert.equal(diff.exitCode, 0, diff.stderr);
    assert.match(diff.stdout, /epochs/);
  });

  it('pulls only the files it writes: a hostile key under the prefix is refused and named, never written', async () => {
    const project = await clone('hostile');
    const run = await project.runInProcess(['run'], { env: ENV });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const outside = await mkdtemp(join(tmpdir(), 'hostile-target-'));
    const outsidePath = relative(project.path('.pipeline', 'runs'), join(outside, 'evil.txt'))
      .split(sep)
      .join('/');
    const hostile = [
      `hostile/runs/${outsidePath}`,
      'hostile/runs/../../pipeline.yaml',
      'hostile/deployments/../../data/train.csv',
      'hostile/runs/20260101T000000.000Z-abcd/../../../pipeline.yaml',
      'hostile/runs/notes.txt',
      'hostile/cache/file-hashes.json',
    ];
    const yaml = await project.read('pipeline.yaml');
    const data = await project.read('data/train.csv');
    for (const key of hostile)
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'written by someone else\n' }));
    // A fresh clone (nothing pulled yet) and the one that ran both read the state.
    const fresh = await clone('hostile');
    for (const reader of [project, fresh]) {
      const status = await reader.runInProcess(['status'], { env: ENV });
      assert.equal(status.exitCode, 0, status.stderr);
      for (const key of hostile)
        assert.ok(status.stderr.includes(`s3://${BUCKET}/${key} was not pulled`), status.stderr);
      assert.equal(
        await reader.read('pipeline.yaml'),
        reader === project ? yaml : await reader.read('pipeline.yaml'),
      );
    }
    assert.equal(await project.read('pipeline.yaml'), yaml, 'pipeline.yaml untouched');
    assert.equal(await project.read('data/train.csv'), data, 'the data untouched');
    assert.deepEqual(await readdir(outside), [], 'nothing written outside the project');
    assert.equal(await fresh.read('.pipeline/runs/notes.txt').catch(() => 'absent'), 'absent');
    await rm(outside, { recursive: true, force: true });
  });

  it('refuses a held lock with exit 3 and the holder; pipeline unlock ID removes it', async () => {
    const project = await clone('locked');
    const other = new S3StateBackend(s3, { bucket: BUCKET, prefix: 'locked' }, join(dir, 'other-clone'));
    const held = await other.lock('pipeline run (another machine)');
    assert.ok(held.ok);
    const refused = await project.runInProcess(['run'], { env: ENV });
    assert.equal(refused.exitCode, 3);
    assert.match(refused.stderr, /holds the lock s3:\/\/team-state\/locked\/lock\.json/);
    assert.match(refused.stderr, new RegExp(`pipeline unlock ${held.value.holder.id}`));

    const wrongId = await project.runInProcess(['unlock', 'not-the-id', '--yes'], { env: ENV });
    assert.equal(wrongId.exitCode, 2);
    assert.match(wrongId.stderr, /held under id/);
    const unlocked = await project.runInProcess(['unlock', held.value.holder.id, '--yes'], { env: ENV });
    assert.equal(unlocked.exitCode, 0, unlocked.stderr);
    const run = await project.runInProcess(['run'], { env: ENV });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  });

  it('names a way out of a damaged lock (empty, garbage): pipeline unlock with the id it gives', async () => {
    for (const [prefix, body] of [
      ['damaged-lock-empty', ''],
      ['damaged-lock-garbage', '{"not a lock'],
    ] as const) {
      const project = await clone(prefix);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/lock.json`, Body: body }));
      const refused = await project.runInProcess(['run'], { env: ENV });
      assert.equal(refused.exitCode, 3, refused.stderr);
      assert.match(
        refused.stderr,
        /cannot be read \((it is empty|it is not JSON: .*)\), so no run can take it/,
      );
      const id = /`pipeline unlock (damaged-[0-9a-f]+)`/.exec(refused.stderr)?.[1];
      assert.ok(id, refused.stderr);
      const unlocked = await project.runInProcess(['unlock', id, '--yes'], { env: ENV });
      assert.equal(unlocked.exitCode, 0, unlocked.stderr);
      assert.match(unlocked.stdout, /Removed the damaged lock/);
      const run = await project.runInProcess(['run'], { env: ENV });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    }
  });

  it('says a damaged shared state is S3’s to mend, and a damaged working copy is this folder’s to delete', async () => {
    const project = await clone('damaged-state');
    assert.equal((await project.runInProcess(['run'], { env: ENV })).exitCode, 0);
    const good = await objectText('damaged-state/state.json');
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'damaged-state/state.json', Body: '{"version": 1,' }),
    );
    const shared = await project.runInProcess(['status'], { env: ENV });
    assert.equal(shared.exitCode, 3, shared.stderr);
    assert.match(
      shared.stderr,
      /the shared state s3:\/\/team-state\/damaged-state\/state\.json \(pulled into .*\) cannot be used/,
    );
    assert.match(shared.stderr, /Deleting the local copy does not help/);

    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'damaged-state/state.json', Body: good }));
    assert.equal((await project.runInProcess(['status'], { env: ENV })).exitCode, 0);
    await project.write({ '.pipeline/state.json': 'garbage' });
    const local = await project.runInProcess(['status'], { env: ENV });
    assert.equal(local.exitCode, 3, local.stderr);
    assert.match(
      local.stderr,
      /this folder's working copy of s3:\/\/team-state\/damaged-state\/state\.json, cannot be used .* Delete it/,
    );
    await rm(project.path('.pipeline', 'state.json'));
    const mended = await project.runInProcess(['status'], { env: ENV });
    assert.equal(mended.exitCode, 0, mended.stderr);
  });

  it('keeps what a run in this folder wrote and has not pushed yet when another command pulls', async () => {
    const folder = join(dir, 'unpushed');
    const run = new S3StateBackend(s3, { bucket: BUCKET, prefix: 'unpushed' }, folder);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'state.json'), '{"stage": "upload"}\n');
    await run.push();
    // The run records train as done; before it pushes, `pipeline status` in the same folder pulls.
    await writeFile(join(folder, 'state.json'), '{"stage": "train"}\n');
    const status = new S3StateBackend(s3, { bucket: BUCKET, prefix: 'unpushed' }, folder);
    await status.pull();
    assert.equal(
      await readFile(join(folder, 'state.json'), 'utf8'),
      '{"stage": "train"}\n',
      'the run’s write is kept',
    );
    assert.equal(await run.push(), 1);
    assert.equal(
      await objectText('unpushed/state.json'),
      '{"stage": "train"}\n',
      'and reaches S3 with its next push',
    );
  });

  it('waits for a held lock with --lock-timeout, and runs once it is released', async () => {
    const project = await clone('waiting');
    const other = new S3StateBackend(s3, { bucket: BUCKET, prefix: 'waiting' }, join(dir, 'waiting-clone'));
    const held = await other.lock('pipeline run (another machine)');
    assert.ok(held.ok);
    const waiting = project.spawn(['run', '--lock-timeout', '2m'], { env: ENV });
    // Released once the waiting run says it waits: its first attempt has met the held lock.
    await new Promise<void>((resolve) => {
      waiting.stderr?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('waiting up to 2m for the lock')) resolve();
      });
    });
    await held.value.release();
    const result = await waiting;
    assert.equal(result.exitCode, 0, String(result.stdout) + String(result.stderr));
  });

  it('after a kill -9, refuses the next run with the lock id; unlock frees it; the run re-attaches', async () => {
    const killed = await clone('killed');
    const child = killed.spawn(['run'], { env: { ...ENV, TEST_HANG_STAGE: 'train' } });
    // The handle reaches S3 with the state write that follows saveHandle.
    const job = await waitFor(async () => {
      const text = await objectText('killed/state.json').catch(() => '');
      return /"job":\s*"(train-job-[^"]+)"/.exec(text)?.[1];
    }, 'the train stage to save its handle in S3');
    child.kill('SIGKILL');
    await child;
    const lock = JSON.parse(await objectText('killed/lock.json')) as { id: string };

    // Another clone on the same host: a dead holder's lock is still only removed by unlock.
    const next = await clone('killed');
    const refused = await next.runInProcess(['run'], { env: ENV });
    assert.equal(refused.exitCode, 3);
    assert.match(refused.stderr, new RegExp(`pipeline unlock ${lock.id}`));
    const unlocked = await next.runInProcess(['unlock', lock.id, '--yes'], { env: ENV });
    assert.equal(unlocked.exitCode, 0, unlocked.stderr);
    const resumed = await next.runInProcess(['run'], { env: ENV });
    assert.equal(resumed.exitCode, 0, resumed.stdout + resumed.stderr);
    assert.ok(
      (await next.executions()).some((line) => line.startsWith('train ') && line.endsWith(`resumed ${job}`)),
      (await next.executions()).join('\n'),
    );
  });

  it('stops a run whose lock was removed at its next state write, with exit 3, the newer state kept', async () => {
    const first = await clone('lost-lock');
    const child = first.spawn(['run'], { env: { ...ENV, TEST_HANG_STAGE: 'train' } });
    await waitFor(async () => {
      const text = await objectText('lost-lock/state.json').catch(() => '');
      return /"job":\s*"train-job-/.test(text) || undefined;
    }, 'the first run to save its handle in S3');
    const { id } = JSON.parse(await objectText('lost-lock/lock.json')) as { id: string };
    // A teammate decides the run is gone, unlocks, and runs.
    const second = await clone('lost-lock');
    assert.equal((await second.runInProcess(['unlock', id, '--yes'], { env: ENV })).exitCode, 0);
    const run = await second.runInProcess(['run'], { env: ENV });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const newer = await objectText('lost-lock/state.json');

    child.kill('SIGINT');
    const stopped = await child;
    assert.equal(stopped.exitCode, 3, String(stopped.stdout) + String(stopped.stderr));
    assert.match(String(stopped.stderr), /changed since this command read it/);
    assert.equal(await objectText('lost-lock/state.json'), newer, 'nothing was overwritten');
  });

  it('fails a state write over a newer state instead of overwriting it', async () => {
    const a = new S3StateBackend(s3, { bucket: BUCKET, prefix: 'race' }, join(dir, 'race-a'));
    const b = new S3StateBackend(s3, { bucket: BUCKET, prefix: 'race' }, join(dir, 'race-b'));
    const write = (folder: string, text: string) => writeFile(join(dir, folder, 'state.json'), text);
    await mkdir(join(dir, 'race-a'), { recursive: true });
    await write('race-a', '{"first": true}\n');
    await a.push();
    await b.pull();
    await a.pull();
    await write('race-b', '{"b": true}\n');
    await b.push();
    // a read the first state; b wrote since (b took the lock a lost).
    await write('race-a', '{"a": true}\n');
    await assert.rejects(a.push(), /changed since this command read it/);
    assert.equal(await objectText('race/state.json'), '{"b": true}\n', 'b’s state stands');
  });

  it('on target local without an endpoint, keeps the state in the local SageMaker’s own S3', async () => {
    const project = await TestProject.create({
      'pipeline.yaml': `${BASE_CONFIG}state:\n  backend: s3\n  bucket: local-state\n`,
    });
    projects.push(project);
    try {
      // A child process: the local SageMaker it starts runs from the CLI's own program.
      const run = await project.run(['run'], { env: ENV });
      assert.equal(run.exitCode, 0, run.stdout + run.stderr);
      const facts = await readServerFacts(project.path('.pipeline', 'local'));
      assert.ok(facts, 'the local SageMaker was started for its S3');
      const local = localS3Client(facts.s3Endpoint, {
        credentials: await daemonKey(project.path('.pipeline', 'local')),
      });
      try {
        const listed = await local.send(
          new ListObjectsV2Command({ Bucket: 'local-state', Prefix: 'pipeline-state/rig/' }),
        );
        assert.ok(listed.Contents?.some((object) => object.Key === 'pipeline-state/rig/state.json'));
      } finally {
        local.destroy();
      }
    } finally {
      await stopLocalDaemon(project.path('.pipeline', 'local'));
    }
  });

  it('moves a local state and its history to S3 with state push, refusing to run before', async () => {
    const project = await clone('', 'local');
    const first = await project.runInProcess(['run'], { env: ENV });
    assert.equal(first.exitCode, 0, first.stderr);
    await project.write({
      'pipeline.yaml': `${BASE_CONFIG}${shared()}state:\n  backend: s3\n  bucket: ${BUCKET}\n  prefix: moved\n`,
    });
    const refused = await project.runInProcess(['run'], { env: ENV });
    assert.equal(refused.exitCode, 3);
    assert.match(refused.stderr, /holds no state yet, but \.pipeline\/state\.json does.*pipeline state push/);

    const pushed = await project.runInProcess(['state', 'push'], { env: ENV });
    assert.equal(pushed.exitCode, 0, pushed.stderr);
    assert.match(pushed.stdout, /Pushed \d+ file\(s\) of \.pipeline\/ to s3:\/\/team-state\/moved\//);
    const again = await project.runInProcess(['state', 'push'], { env: ENV });
    assert.equal(again.exitCode, 3, 'never over a state S3 holds, without --force');

    const fresh = await clone('moved');
    const runs = await fresh.runInProcess(['runs', '--json'], { env: ENV });
    assert.equal(JSON.parse(runs.stdout).length, 1, 'the history moved with the state');
    const noop = await fresh.runInProcess(['run'], { env: ENV });
    assert.equal(noop.exitCode, 0, noop.stderr);
    assert.deepEqual(await fresh.stagesRan(), [], 'nothing re-runs after the move');
    const state = JSON.parse(await readFile(fresh.path('.pipeline', 'state.json'), 'utf8'));
    assert.ok(state.stages.deploy, 'the clone holds the moved state');
  });
});
