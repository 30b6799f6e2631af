// Docker for tests: whether an engine answers, and the locally built base image that the
// example's Dockerfile is given (no image can be pulled here). In CI a missing engine is a
// failure, never a skip.

import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { dockerEngineAnswers } from '../../src/runtimes/docker/docker-cli.js';
import { MANAGED_LABEL } from '../../src/runtimes/docker/docker-runtime.js';
import { containerDir } from './example-model.js';
import { repoRoot } from './project.js';

export const TEST_BASE_IMAGE = 'pipeline-test/node-base:local';
/** debian:bookworm-slim's stand-in, made by debootstrap (test/docker/make-debian-image.sh). */
export const TEST_DEBIAN_IMAGE = 'pipeline-test/debian:local';

/**
 * Builds the example's container/ (prepared: prepareExampleModel) as `tag` on the test base image,
 * without TensorFlow.js's native build, which cannot install here; its image id.
 */
export async function buildExampleImage(tag: string): Promise<string> {
  await execa('docker', [
    'build',
    '--quiet',
    '--tag',
    tag,
    '--build-arg',
    `BASE_IMAGE=${TEST_BASE_IMAGE}`,
    '--build-arg',
    'TFJS_NODE=skip',
    containerDir,
  ]);
  return (await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', tag])).stdout.trim();
}

let answers: Promise<boolean> | undefined;
const engineAnswers = (): Promise<boolean> => {
  answers ??= dockerEngineAnswers(10_000);
  return answers;
};

/** Skips the test where no engine runs, except in CI, where that fails it. Builds the base image. */
export async function requireDocker(t: TestContext): Promise<boolean> {
  if (!(await engineAnswers())) {
    if (process.env.CI) throw new Error('CI=true but no docker engine answers: .ci/run starts one');
    t.skip('no docker engine answers (start dockerd to run this test)');
    return false;
  }
  await execa(join(repoRoot, 'test', 'docker', 'make-base-image.sh'), [TEST_BASE_IMAGE]);
  return true;
}

/**
 * requireDocker, then the Debian base image (built by debootstrap from Debian's packages the
 * first time: about a minute). Its tag, or undefined when the test was skipped.
 */
export async function requireDebianImage(t: TestContext): Promise<string | undefined> {
  if (!(await engineAnswers())) {
    await requireDocker(t);
    return undefined;
  }
  await execa(join(repoRoot, 'test', 'docker', 'make-debian-image.sh'), [TEST_DEBIAN_IMAGE]);
  return TEST_DEBIAN_IMAGE;
}

/** Containers and networks this project started and left behind: tests assert there are none. */
export async function leftoverContainers(): Promise<string[]> {
  const containers = await execa('docker', ['ps', '-aq', '--filter', `label=${MANAGED_LABEL}`], {
    reject: false,
  });
  const networks = await execa('docker', ['network', 'ls', '-q', '--filter', `label=${MANAGED_LABEL}`], {
    reject: false,
  });
  return [
    ...String(containers.stdout).split('\n').filter(Boolean),
    ...String(networks.stdout)
      .split('\n')
      .filter(Boolean)
      .map((id) => `network ${id}`),
  ];
}
