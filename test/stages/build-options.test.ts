// image.build passes network, target and further arguments to `docker build`, and a step that
// cannot reach the network fails with the option to set, in plain words (no colour codes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { freePort } from '../../src/shared/free-port.js';
import { requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { withProject } from '../rig/project.js';

const config = (build: string) => `name: build-options
target: local
runtime: docker
image:
  name: pipeline-test/build-options
  tag: local
  context: container
  dockerfile: container/Dockerfile
  buildArgs:
    BASE_IMAGE: ${TEST_BASE_IMAGE}
  build:
${build}
`;

const MULTI_STAGE = `ARG BASE_IMAGE
FROM \${BASE_IMAGE} AS first
RUN echo first > /stage
FROM \${BASE_IMAGE} AS second
RUN echo second > /stage
`;

describe('docker build options', () => {
  it('builds the target stage, with the network and the arguments asked for', async (t) => {
    if (!(await requireDocker(t))) return;
    await withProject(
      {
        'pipeline.yaml': config(
          '    target: first\n    network: none\n    args: ["--label=pipeline.test=build-options"]',
        ),
        'container/Dockerfile': MULTI_STAGE,
      },
      async (project) => {
        const result = await project.run(['run', '--to', 'build'], { real: true });
        assert.equal(result.exitCode, 0, result.stdout + result.stderr);
        const image = (await project.stageOutputs('build')).imageId as string;
        const stage = await execa('docker', ['run', '--rm', '--network', 'none', image, 'cat', '/stage']);
        assert.equal(String(stage.stdout).trim(), 'first');
        const label = await execa('docker', [
          'image',
          'inspect',
          '--format',
          '{{index .Config.Labels "pipeline.test"}}',
          image,
        ]);
        assert.equal(String(label.stdout).trim(), 'build-options');
        // The options are part of the build's fingerprint: another target builds again.
        await project.write({ 'pipeline.yaml': config('    target: second\n    network: none') });
        const plan = await project.run(['plan', '--to', 'build'], { real: true });
        assert.match(plan.stdout, /image\.build\.target: "first" → "second"|image\.build/);
      },
    );
  });

  it('says which option to set when a step cannot reach the network', async (t) => {
    if (!(await requireDocker(t))) return;
    await withProject(
      {
        'pipeline.yaml': config('    network: none'),
        'container/Dockerfile': `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
RUN getent hosts deb.debian.org || (echo "Temporary failure resolving 'deb.debian.org'" >&2; exit 100)
`,
      },
      async (project) => {
        const result = await project.run(['run', '--to', 'build'], { real: true });
        assert.equal(result.exitCode, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /docker build failed/);
        assert.match(result.stderr, /set image\.build\.network: host/);
        assert.ok(!result.stderr.includes('\u001b['), 'no terminal escape codes');
      },
    );
  });

  it('names a base image that is not here and cannot be pulled, and says what to do', async (t) => {
    if (!(await requireDocker(t))) return;
    // A registry on a loopback port where nothing listens: docker's pull is refused at once,
    // as it is on a machine that reaches no registry (nothing is sent off this machine).
    const missing = `127.0.0.1:${await freePort()}/pipeline-test/missing-base:1`;
    await withProject(
      {
        'pipeline.yaml': config('    network: none').replace(TEST_BASE_IMAGE, missing),
        'container/Dockerfile': 'ARG BASE_IMAGE=node:20-bookworm-slim\nFROM ${BASE_IMAGE}\nRUN true\n',
      },
      async (project) => {
        const result = await project.run(['run', '--to', 'build'], { real: true });
        assert.equal(result.exitCode, 1, result.stdout + result.stderr);
        assert.ok(
          result.stderr.includes(`the base image ${missing} is not on this machine and cannot be pulled`),
          result.stderr,
        );
        assert.match(result.stderr, /name it in image\.buildArgs\.BASE_IMAGE/);
        assert.match(result.stderr, /set `runtime: process`/);
      },
    );
  });
});
