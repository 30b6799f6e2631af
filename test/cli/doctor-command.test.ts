// `pipeline doctor` as a user meets it: each problem a run would hit, found before the run, with
// what to do and exit 1; a healthy setup exits 0. Registries and servers are on loopback ports,
// so that no check sends anything off this machine.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newAccessKey } from '../../src/local-sagemaker/credentials.js';
import { startLocalSageMaker } from '../../src/local-sagemaker/local-sagemaker.js';
import { freePort } from '../../src/shared/free-port.js';
import { AWS_CLI_ENV } from '../rig/aws-cli.js';
import { requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { withProject } from '../rig/project.js';
import { TEST_KEY } from '../rig/test-key.js';

const yaml = (extra: string, runtime = 'process') => `name: doctor-check
target: local
runtime: ${runtime}
image:
  name: doctor-check
  context: container
  dockerfile: container/Dockerfile
${extra}`;

const FILES = {
  'container/Dockerfile': 'ARG BASE_IMAGE=node:20-bookworm-slim\nFROM ${BASE_IMAGE}\nCOPY . /opt/program\n',
  'container/train': '#!/bin/sh\n',
  'container/serve': '#!/bin/sh\n',
};

interface Report {
  ok: boolean;
  checks: { check: string; status: string; detail: string; advice?: string }[];
}

const statusOf = (report: Report, check: string) => report.checks.find((c) => c.check === check)?.status;

describe('pipeline doctor', () => {
  it('says a run can work on a healthy setup, and exits 0', async () => {
    await withProject({ ...FILES, 'pipeline.yaml': yaml('') }, async (project) => {
      const result = await project.run(['doctor'], { real: true });
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^pipeline doctor \(target local, runtime process\)$/m);
      assert.match(result.stdout, /✔ node\s+v\d+/);
      assert.match(result.stdout, /○ docker\s+runtime: process runs the programs without docker/);
      assert.match(result.stdout, /✔ local SageMaker\s+not running: the first stage that needs it starts it/);
      assert.match(result.stdout, /A run can work\.$/m);
    });
  });

  it('finds no docker engine, says what to do, and exits 1', async () => {
    await withProject({ ...FILES, 'pipeline.yaml': yaml('', 'docker') }, async (project) => {
      const result = await project.run(['doctor', '--json'], {
        real: true,
        env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      });
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      const report = JSON.parse(result.stdout) as Report;
      assert.equal(report.ok, false);
      const docker = report.checks.find((check) => check.check === 'docker');
      assert.equal(docker?.status, 'fail');
      assert.match(docker?.detail ?? '', /no docker engine answers/);
      assert.match(docker?.advice ?? '', /set `runtime: process`/);
    });
  });

  it('finds a base image that is not here and cannot be pulled, with what to do', async (t) => {
    if (!(await requireDocker(t))) return;
    const missing = `127.0.0.1:${await freePort()}/pipeline-test/missing-base:1`;
    const buildArgs = (image: string) => `  buildArgs:\n    BASE_IMAGE: ${image}\n`;
    await withProject(
      { ...FILES, 'pipeline.yaml': yaml('', 'docker').replace(/\n$/, '\n') + buildArgs(missing) },
      async (project) => {
        const result = await project.run(['doctor'], { real: true });
        assert.equal(result.exitCode, 1, result.stdout + result.stderr);
        assert.ok(
          result.stdout.includes(
            `✖ base image       ${missing} is not on this machine and its registry cannot be reached`,
          ),
          result.stdout,
        );
        assert.match(result.stdout, /name it in image\.buildArgs\.BASE_IMAGE/);
        assert.match(result.stderr, /1 problem \(base image\): a run cannot work until it is fixed/);

        // The same project with a base image the engine has: the check passes.
        await project.write({ 'pipeline.yaml': yaml('', 'docker') + buildArgs(TEST_BASE_IMAGE) });
        const fixed = await project.run(['doctor', '--json'], { real: true });
        const report = JSON.parse(fixed.stdout) as Report;
        assert.equal(statusOf(report, 'base image'), 'ok', fixed.stdout);
        assert.equal(statusOf(report, 'docker'), 'ok');
      },
    );
  });

  it('finds whether the shared local SageMaker accepts this key pair', async () => {
    const server = await startLocalSageMaker({
      dataDir: await mkdtemp(join(tmpdir(), 'team-')),
      keys: [TEST_KEY],
    });
    try {
      const shared = `local:\n  endpoint: ${server.endpoint}\n  s3Endpoint: ${server.s3Endpoint}\n`;
      await withProject({ ...FILES, 'pipeline.yaml': yaml(shared) }, async (project) => {
        const check = async (env: Record<string, string>) => {
          const result = await project.run(['doctor', '--json'], { real: true, env });
          const report = JSON.parse(result.stdout) as Report;
          assert.ok(report.checks, result.stdout + result.stderr);
          return report.checks.find((c) => c.check === 'local SageMaker');
        };
        const accepted = await check(AWS_CLI_ENV);
        assert.equal(accepted?.status, 'ok', accepted?.detail);
        assert.match(
          accepted?.detail ?? '',
          /shared, at http:\/\/127\.0\.0\.1:\d+ \(region us-east-1\), and it accepts this key pair/,
        );
        const other = newAccessKey();
        const refused = await check({
          AWS_ACCESS_KEY_ID: other.accessKeyId,
          AWS_SECRET_ACCESS_KEY: other.secretAccessKey,
        });
        assert.equal(refused?.status, 'fail');
        assert.match(refused?.detail ?? '', /refuses this key pair \(UnrecognizedClientException/);
        assert.match(refused?.advice ?? '', /the pair its `pipeline local serve` was started with/);
      });
    } finally {
      await server.close();
    }
  });

  it('finds the shared local SageMaker’s port held by another program', async () => {
    // Something else listens where local.endpoint points: a plain HTTP server.
    const squatter: Server = createServer((_request, response) => response.writeHead(404).end('not here'));
    await new Promise<void>((done) => squatter.listen(0, '127.0.0.1', done));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const shared = `local:\n  endpoint: http://127.0.0.1:${port}\n  s3Endpoint: http://127.0.0.1:${port}\n`;
      await withProject({ ...FILES, 'pipeline.yaml': yaml(shared) }, async (project) => {
        const result = await project.run(['doctor', '--json'], {
          real: true,
          env: {
            AWS_ACCESS_KEY_ID: 'LSIAEXAMPLEEXAMPLE12',
            AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-0123456789',
          },
        });
        assert.equal(result.exitCode, 1, result.stdout + result.stderr);
        const local = (JSON.parse(result.stdout) as Report).checks.find(
          (check) => check.check === 'local SageMaker',
        );
        assert.equal(local?.status, 'fail');
        assert.match(
          local?.detail ?? '',
          /answers, but not as a `pipeline local serve` of this version does \(GET \/_pipeline\/identity: status 404\)/,
        );
      });
    } finally {
      await new Promise<void>((done) => squatter.close(() => done()));
    }
  });
});
