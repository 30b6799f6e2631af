// The local SageMaker and its S3 listen on 127.0.0.1, which every user of the machine can reach:
// they answer only requests signed (SigV4) with their owner's key pair, as AWS answers only signed
// requests. Another user (uid 65534, as `setpriv` makes one) can neither read the daemon's pair
// nor run a program through it, nor read a bucket; unsigned, wrongly signed and unknown-key
// requests get the errors AWS gives; presigned S3 URLs work as on S3; `pipeline local env` hands
// the owner's own aws CLI what it needs; file:// images run only from folders the owner allowed.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { credentialsFile } from '../../src/local-sagemaker/credentials.js';
import { type LocalDaemon, stopLocalDaemon } from '../../src/local-sagemaker/daemon.js';
import { awsCliAvailable } from '../rig/aws-cli.js';
import { ROLE, trainingJobRequest } from '../rig/local-sagemaker.js';
import { startLocalServe } from '../rig/local-serve.js';
import { TestProject, waitFor } from '../rig/project.js';

const NOBODY = 65534;

/** Debian's aws CLI, which another user can run (an aws on root's PATH may live in root's home). */
function systemAwsCli(t: TestContext): boolean {
  if (existsSync('/usr/bin/aws')) return true;
  if (process.env.CI) throw new Error('CI=true but /usr/bin/aws is missing: .ci/run installs awscli');
  t.skip("Debian's awscli is not installed (apt-get install awscli)");
  return false;
}

/** A command run as another local user (uid and gid 65534, no groups), from a folder of theirs. */
function asNobody(command: string[], home: string, env: Record<string, string> = {}) {
  return execa(
    'setpriv',
    ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--', ...command],
    { cwd: home, env: { HOME: home, PATH: '/usr/bin:/bin', ...env }, extendEnv: false, reject: false },
  );
}

/** An HTTP request with no signature at all, as curl or a browser would send it. */
function unsigned(url: string, init: { method: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = httpRequest(url, { method: init.method, headers: init.headers ?? {} }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

describe('requests to the local SageMaker and its S3 must be signed with the owner’s key pair', () => {
  let project: TestProject;
  let daemon: LocalDaemon;
  let nobodyHome: string;
  let sagemaker: SageMakerClient;
  let s3: S3Client;

  before(async () => {
    project = await TestProject.create({ 'pipeline.yaml': 'name: auth\nimage:\n  name: auth\n' });
    const env = await project.run(['local', 'env', '--json'], { real: true });
    assert.equal(env.exitCode, 0, env.stderr);
    const variables = JSON.parse(env.stdout) as Record<string, string>;
    daemon = {
      endpoint: variables.AWS_ENDPOINT_URL_SAGEMAKER as string,
      s3Endpoint: variables.AWS_ENDPOINT_URL_S3 as string,
      region: variables.AWS_DEFAULT_REGION as string,
      credentials: {
        accessKeyId: variables.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: variables.AWS_SECRET_ACCESS_KEY as string,
      },
    } as LocalDaemon;
    const common = { region: daemon.region, credentials: daemon.credentials, maxAttempts: 1 };
    sagemaker = new SageMakerClient({ ...common, endpoint: daemon.endpoint });
    s3 = new S3Client({ ...common, endpoint: daemon.s3Endpoint, forcePathStyle: true });
    await s3
      .send(new PutObjectCommand({ Bucket: 'private', Key: 'secret.txt', Body: 'owner only' }))
      .catch(async () => {
        const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
        await s3.send(new CreateBucketCommand({ Bucket: 'private' }));
        await s3.send(new PutObjectCommand({ Bucket: 'private', Key: 'secret.txt', Body: 'owner only' }));
      });
    nobodyHome = await mkdtemp(join(tmpdir(), 'nobody-home-'));
    await chown(nobodyHome, NOBODY, NOBODY);
  });
  after(async () => {
    sagemaker?.destroy();
    s3?.destroy();
    await stopLocalDaemon(project.path('.pipeline', 'local'));
    await project?.remove();
    if (nobodyHome) await rm(nobodyHome, { recursive: true, force: true });
  });

  it('keeps the daemon’s key pair readable by its owner only', async () => {
    const info = await stat(credentialsFile(project.path('.pipeline', 'local')));
    assert.equal(info.mode & 0o777, 0o600);
    assert.equal(info.uid, process.getuid?.());
  });

  it('refuses another local user’s training job with a file:// image of theirs, signed or not', async (t) => {
    if (!systemAwsCli(t)) return;
    // Their "image": a folder whose train program would leave a mark if it ever ran.
    const image = join(nobodyHome, 'image');
    const mark = join(nobodyHome, 'ran-as-owner');
    await asNobody(['mkdir', image], nobodyHome);
    await asNobody(
      ['sh', '-c', `printf '#!/bin/sh\\ntouch ${mark}\\n' > ${image}/train && chmod +x ${image}/train`],
      nobodyHome,
    );
    const job = trainingJobRequest({ name: 'not-yours', data: 's3://private/', hyperparameters: {} });
    job.AlgorithmSpecification = { TrainingImage: pathToFileURL(image).href, TrainingInputMode: 'File' };

    const guessed = await asNobody(
      [
        '/usr/bin/aws',
        '--endpoint-url',
        daemon.endpoint,
        'sagemaker',
        'create-training-job',
        '--cli-input-json',
        JSON.stringify(job),
      ],
      nobodyHome,
      {
        AWS_ACCESS_KEY_ID: 'AKIAGUESSEDGUESSED12',
        AWS_SECRET_ACCESS_KEY: 'guessed',
        AWS_DEFAULT_REGION: 'us-east-1',
      },
    );
    assert.notEqual(guessed.exitCode, 0);
    assert.match(
      guessed.stderr,
      /UnrecognizedClientException.*The security token included in the request is invalid/,
    );

    const noKey = await asNobody(
      [
        process.execPath,
        '-e',
        `fetch(${JSON.stringify(daemon.endpoint)}, {method: 'POST', headers: {'X-Amz-Target': 'SageMaker.CreateTrainingJob', 'Content-Type': 'application/x-amz-json-1.1'}, body: process.argv[1]}).then(async (r) => console.log(r.status, await r.text()))`,
        JSON.stringify(job),
      ],
      nobodyHome,
    );
    assert.match(noKey.stdout, /^400 .*MissingAuthenticationTokenException/, noKey.stderr);

    const stolen = await asNobody(['cat', credentialsFile(project.path('.pipeline', 'local'))], nobodyHome);
    assert.notEqual(stolen.exitCode, 0, 'the key pair cannot be read by another user');

    const jobs = await sagemaker.send(new ListTrainingJobsCommand({}));
    assert.deepEqual(jobs.TrainingJobSummaries, [], 'no job was made');
    assert.deepEqual(await readdir(nobodyHome).then((names) => names.includes('ran-as-owner')), false);
  });

  it('refuses another local user’s S3 requests: anonymous, unknown key, wrong secret', async (t) => {
    if (!systemAwsCli(t)) return;
    const anonymous = await unsigned(`${daemon.s3Endpoint}/private/secret.txt`, { method: 'GET' });
    assert.equal(anonymous.status, 403);
    assert.match(anonymous.text, /<Code>AccessDenied<\/Code>/);
    assert.doesNotMatch(anonymous.text, /owner only/);
    const listed = await unsigned(`${daemon.s3Endpoint}/private`, { method: 'GET' });
    assert.equal(listed.status, 403);
    const written = await unsigned(`${daemon.s3Endpoint}/private/planted.txt`, { method: 'PUT', body: 'x' });
    assert.equal(written.status, 403);

    const cli = (key: string, secret: string) =>
      asNobody(
        ['/usr/bin/aws', '--endpoint-url', daemon.s3Endpoint, 's3', 'cp', 's3://private/secret.txt', '-'],
        nobodyHome,
        {
          AWS_ACCESS_KEY_ID: key,
          AWS_SECRET_ACCESS_KEY: secret,
          AWS_DEFAULT_REGION: 'us-east-1',
        },
      );
    const unknown = await cli('AKIAGUESSEDGUESSED12', 'guessed');
    assert.notEqual(unknown.exitCode, 0);
    assert.match(unknown.stderr, /403|Forbidden|InvalidAccessKeyId/);
    const wrongSecret = await cli(daemon.credentials.accessKeyId, 'not-the-secret');
    assert.notEqual(wrongSecret.exitCode, 0);
    assert.match(wrongSecret.stderr, /403|Forbidden|SignatureDoesNotMatch/);
    assert.doesNotMatch(unknown.stdout + wrongSecret.stdout, /owner only/);
  });

  it('answers a wrongly signed SDK call with the exception AWS raises', async () => {
    const wrong = new SageMakerClient({
      region: daemon.region,
      endpoint: daemon.endpoint,
      credentials: { accessKeyId: daemon.credentials.accessKeyId, secretAccessKey: 'not-the-secret' },
      maxAttempts: 1,
    });
    const unknown = new S3Client({
      region: daemon.region,
      endpoint: daemon.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN12', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const mismatched = new S3Client({
      region: daemon.region,
      endpoint: daemon.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: daemon.credentials.accessKeyId, secretAccessKey: 'not-the-secret' },
      maxAttempts: 1,
    });
    try {
      await assert.rejects(wrong.send(new ListTrainingJobsCommand({})), {
        name: 'InvalidSignatureException',
      });
      await assert.rejects(
        wrong.send(
          new CreateTrainingJobCommand({
            ...trainingJobRequest({ name: 'x', data: 's3://private/', hyperparameters: {} }),
            RoleArn: ROLE,
          }),
        ),
        { name: 'InvalidSignatureException' },
      );
      await assert.rejects(unknown.send(new GetObjectCommand({ Bucket: 'private', Key: 'secret.txt' })), {
        name: 'InvalidAccessKeyId',
      });
      await assert.rejects(mismatched.send(new GetObjectCommand({ Bucket: 'private', Key: 'secret.txt' })), {
        name: 'SignatureDoesNotMatch',
      });
      const read = await s3.send(new GetObjectCommand({ Bucket: 'private', Key: 'secret.txt' }));
      assert.equal(await read.Body?.transformToString(), 'owner only', 'the right pair still reads it');
    } finally {
      wrong.destroy();
      unknown.destroy();
      mismatched.destroy();
    }
  });

  it('gives the owner’s own aws CLI everything with `pipeline local env`, presigned URLs included', async (t) => {
    if (!(await awsCliAvailable(t))) return;
    const exports = await project.run(['local', 'env'], { real: true });
    assert.equal(exports.exitCode, 0, exports.stderr);
    // The aws CLI v1 presigns with Signature Version 2 unless told otherwise, as S3 in a new region
    // needs: the local S3, like those regions, takes only version 4 (and says so).
    const config = join(nobodyHome, 'owner-aws-config');
    await writeFile(config, '[default]\ns3 =\n  signature_version = s3v4\n');
    const shell = (command: string, env: Record<string, string> = { AWS_CONFIG_FILE: config }) =>
      execa('bash', ['-c', `${exports.stdout}\n${command}`], {
        reject: false,
        env: { AWS_PAGER: '', ...env },
      });
    const jobs = await shell('aws sagemaker list-training-jobs --output json');
    assert.equal(jobs.exitCode, 0, jobs.stderr);
    assert.deepEqual(JSON.parse(jobs.stdout).TrainingJobSummaries, []);
    const object = await shell('aws s3 cp s3://private/secret.txt -');
    assert.equal(object.exitCode, 0, object.stderr);
    assert.equal(object.stdout, 'owner only');

    const presigned = await shell('aws s3 presign s3://private/secret.txt --expires-in 300');
    assert.equal(presigned.exitCode, 0, presigned.stderr);
    const url = presigned.stdout.trim();
    const fetched = await unsigned(url, { method: 'GET' });
    assert.equal(fetched.status, 200, fetched.text);
    assert.equal(fetched.text, 'owner only');
    const tampered = await unsigned(url.replace('secret.txt', 'other.txt'), { method: 'GET' });
    assert.equal(tampered.status, 403);
    assert.match(tampered.text, /SignatureDoesNotMatch/);
    const version2 = await shell('aws s3 presign s3://private/secret.txt', { AWS_CONFIG_FILE: '/dev/null' });
    const refused = await unsigned(version2.stdout.trim(), { method: 'GET' });
    assert.match(version2.stdout, /Signature=/);
    assert.equal(refused.status, 400);
    assert.match(
      refused.text,
      /<Code>InvalidRequest<\/Code><Message>The authorization mechanism you have provided is not supported\. Please use AWS4-HMAC-SHA256\./,
    );
  });

  it('runs a file:// image only from a folder its owner allowed', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'not-the-project-'));
    try {
      await writeFile(join(elsewhere, 'train'), '#!/bin/sh\nexit 0\n');
      await chmod(join(elsewhere, 'train'), 0o755);
      const job = trainingJobRequest({ name: 'outside', data: 's3://private/', hyperparameters: {} });
      job.AlgorithmSpecification = {
        TrainingImage: pathToFileURL(elsewhere).href,
        TrainingInputMode: 'File',
      };
      await assert.rejects(sagemaker.send(new CreateTrainingJobCommand(job)), (error: Error) => {
        assert.equal(error.name, 'ValidationException');
        assert.match(
          error.message,
          /file:\/\/ images run as this local SageMaker's owner, and only those under .* are allowed/,
        );
        return true;
      });
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('pipeline local serve', () => {
  it('generates a key pair when the environment names none, shows it once, and accepts only it', async () => {
    const project = await TestProject.create();
    const server = project.spawn(['local', 'serve', '--json'], {
      real: true,
      env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    });
    try {
      let output = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const facts = await waitFor(async () => {
        try {
          return JSON.parse(output) as {
            endpoint: string;
            credentials: { accessKeyId: string; secretAccessKey: string };
          };
        } catch {
          return undefined;
        }
      }, 'pipeline local serve to start');
      assert.match(facts.credentials.accessKeyId, /^[A-Z0-9]{20}$/);
      const client = new SageMakerClient({
        region: 'us-east-1',
        endpoint: facts.endpoint,
        credentials: facts.credentials,
      });
      try {
        const jobs = await client.send(new ListTrainingJobsCommand({}));
        assert.deepEqual(jobs.TrainingJobSummaries, []);
      } finally {
        client.destroy();
      }
    } finally {
      server.kill('SIGINT');
      await server;
      await project.remove();
    }
  });

  it('refuses half a key pair in its environment', async () => {
    const project = await TestProject.create();
    try {
      const refused = await project.run(['local', 'serve', '--json'], {
        real: true,
        env: { AWS_ACCESS_KEY_ID: 'AKIAONLYTHEKEYID1234', AWS_SECRET_ACCESS_KEY: '' },
      });
      assert.equal(refused.exitCode, 2);
      assert.match(refused.stderr, /AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY/);
    } finally {
      await project.remove();
    }
  });

  it('refuses to start over the data folder of a local SageMaker that runs, naming it', async () => {
    const project = await TestProject.create();
    // As the background daemon runs: it says where it listens in .pipeline/local/server.json.
    const first = project.spawn(['local', 'serve', '--json', '--state-file', '.pipeline/local/server.json'], {
      real: true,
    });
    try {
      let output = '';
      first.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const facts = await waitFor(async () => {
        try {
          return JSON.parse(output) as { pid: number };
        } catch {
          return undefined;
        }
      }, 'the first local serve to start');
      const second = await project.run(['local', 'serve', '--json'], { real: true });
      assert.equal(second.exitCode, 2);
      assert.match(
        second.stderr,
        new RegExp(
          `the local SageMaker of this folder already runs \\(pid ${facts.pid}, .*give this one a --data-dir of its own`,
        ),
      );
    } finally {
      first.kill('SIGINT');
      await first;
      await project.remove();
    }
  });

  it('keeps a project from starting its daemon over the folder a local serve started by hand serves', async () => {
    const project = await TestProject.create();
    // By hand, over the project's own folder: .pipeline/local, the default.
    const served = await startLocalServe(project.dir);
    try {
      const daemon = await project.run(['local', 'env'], { real: true });
      assert.equal(daemon.exitCode, 2, daemon.stdout);
      assert.ok(
        daemon.stderr.includes(
          `\`pipeline local serve\` (pid ${served.process.pid}) serves ${project.path('.pipeline', 'local')}`,
        ),
        daemon.stderr,
      );
      assert.ok(daemon.stderr.includes(`local.endpoint ${served.endpoint}`), daemon.stderr);
      const second = await project.run(['local', 'serve', '--json'], { real: true });
      assert.equal(second.exitCode, 2);
      assert.match(second.stderr, /already runs/);
    } finally {
      await served.stop();
      await project.remove();
    }
  });
});
