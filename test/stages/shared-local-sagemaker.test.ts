// One local SageMaker shared by a team (local.endpoint): two clones of a project, as two machines
// hold them, point at one `pipeline local serve` and keep their state, lock and run history in
// its S3. Run at once, one trains and deploys, the other waits for the lock and finds every stage
// up to date, because the jobs, endpoint and data the state names are the ones it sees. A clone's
// destroy deletes its pipeline's resources there and leaves the team's server running.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { IDENTITY_PATH } from '../../src/local-sagemaker/identity.js';
import { freePort } from '../../src/shared/free-port.js';
import { httpRequest } from '../../src/shared/http-request.js';
import { AWS_CLI_ENV } from '../rig/aws-cli.js';
import { type ServedLocalSageMaker, startLocalServe } from '../rig/local-serve.js';
import { realCli, TestProject, waitFor } from '../rig/project.js';
import { makeExecutable, PYTHON_CONTAINER, pythonPipelineYaml } from '../rig/python-container.js';
import { TEST_KEY } from '../rig/test-key.js';

const NAME = 'shared-model';

interface RunSummary {
  runId: string;
  stages: Record<string, { action: string }>;
}

describe('a local SageMaker shared by two clones', () => {
  let serverDir: string;
  let server: ServedLocalSageMaker;
  const clones: TestProject[] = [];
  const yamlFor = (extra = '') =>
    `${pythonPipelineYaml(NAME)}local:\n  endpoint: ${server.endpoint}\n  s3Endpoint: ${server.s3Endpoint}\nstate:\n  backend: s3\n  bucket: team-state\n${extra}`;

  before(async () => {
    for (const folder of ['laptop', 'ci'])
      clones.push(await TestProject.create({ ...PYTHON_CONTAINER, 'pipeline.yaml': '' }, folder));
    for (const clone of clones) await makeExecutable(clone);
    serverDir = await mkdtemp(join(tmpdir(), 'team-sagemaker-'));
    // The team's server runs the process runtime's images of both clones' folders.
    server = await startLocalServe(serverDir, [
      '--data-dir',
      serverDir,
      ...clones.flatMap((clone) => ['--file-images', clone.dir]),
    ]);
    for (const clone of clones) await clone.write({ 'pipeline.yaml': yamlFor() });
  });
  after(async () => {
    await server?.stop();
    for (const clone of clones) await clone.remove();
    await rm(serverDir, { recursive: true, force: true });
  });

  it('listens on the address given with --host, and refuses one that is not an address', async () => {
    // A team's server listens on every interface, as a CI service does. Here it does so in a
    // network namespace of its own, where nothing else can reach it and no other test's check of
    // this machine's listening sockets sees it; nothing connects to it.
    const dataDir = join(serverDir, 'every-interface');
    const alone = execa(
      'unshare',
      ['--net', 'node', realCli, 'local', 'serve', '--host', '0.0.0.0', '--data-dir', dataDir, '--json'],
      { env: AWS_CLI_ENV, reject: false },
    );
    let output = '';
    alone.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      const facts = await waitFor(async () => {
        try {
          return JSON.parse(output) as {
            pid: number;
            endpoint: string;
            s3Endpoint: string;
          };
        } catch {
          return undefined;
        }
      }, 'local serve in its own network namespace');
      const listening = (await execa('nsenter', [`--net=/proc/${facts.pid}/ns/net`, 'ss', '-ltnH'])).stdout;
      for (const url of [facts.endpoint, facts.s3Endpoint])
        assert.match(listening, new RegExp(`0\\.0\\.0\\.0:${new URL(url).port}\\s`), listening);
    } finally {
      alone.kill('SIGINT');
      await alone;
    }
    const refused = await clones[0]?.run(['local', 'serve', '--host', 'team-server'], { real: true });
    assert.equal(refused?.exitCode, 2);
    assert.match(refused?.stderr ?? '', /--host takes an IP address/);
  });

  it('runs two clones at once: one trains and deploys, the other waits and finds all up to date', async () => {
    const results = await Promise.all(
      clones.map((clone) =>
        clone.run(['run', '--lock-timeout', '5m', '--json'], { real: true, env: AWS_CLI_ENV }),
      ),
    );
    for (const result of results) assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const runs = results.map((result) => JSON.parse(result.stdout) as RunSummary);
    const ran = runs.map((run) =>
      Object.entries(run.stages)
        .filter(([, stage]) => stage.action === 'ran')
        .map(([name]) => name),
    );
    const trained = ran.filter((names) => names.includes('train'));
    assert.equal(trained.length, 1, `exactly one clone trains: ${JSON.stringify(ran)}`);
    assert.deepEqual(
      ran.find((names) => !names.includes('train')),
      [],
      'the other clone finds every stage up to date',
    );

    // Each clone sees both runs, whichever made them.
    for (const clone of clones) {
      const history = await clone.run(['runs', '--json'], { real: true, env: AWS_CLI_ENV });
      assert.equal(history.exitCode, 0, history.stderr);
      const ids = (JSON.parse(history.stdout) as { runId: string }[]).map((run) => run.runId);
      for (const run of runs) assert.ok(ids.includes(run.runId), `${run.runId} in ${ids}`);
    }
  });

  it('plans with the drift checks against the shared server: nothing to do on either clone', async () => {
    for (const clone of clones) {
      const plan = await clone.run(['plan', '--json'], { real: true, env: AWS_CLI_ENV });
      assert.equal(plan.exitCode, 0, plan.stderr);
      const stages = JSON.parse(plan.stdout).stages as { name: string; action: string }[];
      assert.deepEqual(
        stages.filter((stage) => stage.action === 'run').map((stage) => stage.name),
        [],
        plan.stdout,
      );
    }
  });

  it('prints the shared URLs in `local env`, and never its key pair', async () => {
    const env = await clones[0]?.run(['local', 'env'], { real: true, env: AWS_CLI_ENV });
    assert.equal(env?.exitCode, 0, env?.stderr);
    assert.match(env?.stdout ?? '', new RegExp(`AWS_ENDPOINT_URL_SAGEMAKER=${server.endpoint}$`, 'm'));
    assert.match(env?.stdout ?? '', new RegExp(`AWS_ENDPOINT_URL_S3=${server.s3Endpoint}$`, 'm'));
    assert.doesNotMatch(env?.stdout ?? '', new RegExp(TEST_KEY.secretAccessKey));
  });

  it('refuses a region or a registry other than the server’s, and a server that does not answer', async () => {
    const [clone] = clones as [TestProject];
    await clone.write({ 'pipeline.yaml': `${yamlFor()}aws:\n  region: eu-west-1\n` });
    const region = await clone.run(['run'], { real: true, env: AWS_CLI_ENV });
    assert.equal(region.exitCode, 3, region.stdout + region.stderr);
    assert.match(
      region.stderr,
      /aws\.region is eu-west-1, but the shared local SageMaker at \S+ serves us-east-1/,
    );

    await clone.write({
      'pipeline.yaml': yamlFor().replace('local:\n', 'local:\n  registry: 127.0.0.1:5999\n'),
    });
    const registry = await clone.run(['run'], { real: true, env: AWS_CLI_ENV });
    assert.equal(registry.exitCode, 3, registry.stderr);
    assert.match(registry.stderr, /local\.registry is 127\.0\.0\.1:5999, but the shared local SageMaker/);

    const withoutKey = await clone.run(['plan'], {
      real: true,
      env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    });
    assert.notEqual(withoutKey.exitCode, 0);
    assert.match(withoutKey.stderr, /set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the pair/);

    // A port that was free a moment ago: nothing listens there.
    const dead = `http://127.0.0.1:${await freePort()}`;
    await clone.write({ 'pipeline.yaml': yamlFor().replace(server.endpoint, dead) });
    const silent = await clone.run(['run'], { real: true, env: AWS_CLI_ENV });
    assert.equal(silent.exitCode, 3, silent.stderr);
    assert.ok(
      silent.stderr.includes(`the shared local SageMaker at ${dead} (local.endpoint) does not answer`),
      silent.stderr,
    );
    await clone.write({ 'pipeline.yaml': yamlFor() });
  });

  it('says it is the shared server that stopped answering, and never to start it from here', async () => {
    const [clone] = clones as [TestProject];
    // Its S3 on a port where nothing listens (a server gone mid-run), the state this clone's own.
    const closed = `http://127.0.0.1:${await freePort()}`;
    await clone.write({
      'pipeline.yaml': `${pythonPipelineYaml('shared-gone')}local:\n  endpoint: ${server.endpoint}\n  s3Endpoint: ${closed}\n`,
    });
    const result = await clone.run(['run', '--to', 'upload'], { real: true, env: AWS_CLI_ENV });
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.ok(
      result.stderr.includes(
        `the shared local SageMaker at ${server.endpoint} stopped answering (nothing listens on 127.0.0.1:${new URL(closed).port})`,
      ),
      result.stderr,
    );
    assert.match(
      result.stderr,
      /It is the team’s `pipeline local serve` \(local\.endpoint\): start it again/,
    );
    assert.doesNotMatch(result.stderr, /server\.log/);
    await clone.write({ 'pipeline.yaml': yamlFor() });
  });

  it('destroys a clone’s endpoint on the shared server, and leaves the server running', async () => {
    const [clone] = clones as [TestProject];
    const destroyed = await clone.run(['destroy', '--yes', '--json'], { real: true, env: AWS_CLI_ENV });
    assert.equal(destroyed.exitCode, 0, destroyed.stderr);
    const deleted = JSON.parse(destroyed.stdout).deleted as string[];
    assert.ok(deleted.includes(`endpoint ${NAME}`), deleted.join('\n'));
    assert.ok(!deleted.some((line) => /local SageMaker/.test(line)), deleted.join('\n'));

    const identity = await httpRequest(`${server.endpoint}${IDENTITY_PATH}`);
    assert.equal(identity.status, 200, 'the team’s server still answers');
    const sagemaker = new SageMakerClient({
      endpoint: server.endpoint,
      region: server.region,
      credentials: TEST_KEY,
    });
    try {
      await assert.rejects(
        sagemaker.send(new DescribeEndpointCommand({ EndpointName: NAME })),
        /Could not find/,
      );
    } finally {
      sagemaker.destroy();
    }
  });
});
