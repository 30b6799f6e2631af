// What `pipeline doctor` checks on this machine: Node, the docker engine and its storage driver,
// the base images the Dockerfile needs, and the registry behind the local ECR.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
import type { PipelineConfig } from '../../engine/config/pipeline-config.js';
import { baseImageAdvice, baseImagesOf } from '../../runtimes/docker/base-image.js';
import { dockerEngineVersion } from '../../runtimes/docker/docker-cli.js';
import { httpRequest } from '../../shared/http-request.js';
import { isLoopback } from '../../shared/service-url.js';
import { type CheckResult, fail, ok, skip, warn } from './doctor-check.js';

const REQUIRED_NODE = 20;

export function checkNode(version = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  return major >= REQUIRED_NODE
    ? ok('node', `v${version}`)
    : fail(
        'node',
        `v${version}`,
        `pipeline needs Node ${REQUIRED_NODE} or later: install it (nvm, or your system's packages)`,
      );
}

async function dockerSays(args: string[], timeoutMs = 15_000): Promise<{ ok: boolean; text: string }> {
  const result = await execa('docker', args, {
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
    all: true,
  }).catch((error: Error) => ({ exitCode: 1, all: error.message, failed: true }));
  return { ok: result.exitCode === 0, text: String(result.all ?? '').trim() };
}

/** The docker engine, when the config's runtime may use it; whether it answers. */
export async function checkDocker(
  config: PipelineConfig,
): Promise<{ results: CheckResult[]; engine: boolean }> {
  if (config.runtime === 'process')
    return { results: [skip('docker', 'runtime: process runs the programs without docker')], engine: false };
  const version = await dockerEngineVersion(15_000);
  if (!version.ok) {
    const { reason } = version;
    return {
      results: [
        config.runtime === 'docker'
          ? fail(
              'docker',
              `no docker engine answers (${reason})`,
              'start one (dockerd, or Docker Desktop), or set `runtime: process` in pipeline.yaml to run the programs without docker',
            )
          : warn(
              'docker',
              `no docker engine answers (${reason}): runtime auto uses the process runtime`,
              'start an engine to build and run the image as SageMaker does, or set `runtime: process` to say that you mean it',
            ),
      ],
      engine: false,
    };
  }
  const driver = await dockerSays(['info', '--format', '{{.Driver}}']);
  const results = [ok('docker', `engine ${version.version}`)];
  if (driver.ok && driver.text === 'vfs')
    results.push(
      warn(
        'storage driver',
        'vfs: every container gets a full copy of its image, slow and large',
        'run dockerd with --storage-driver=overlay2 where the kernel allows it',
      ),
    );
  else if (driver.ok) results.push(ok('storage driver', driver.text));
  return { results, engine: true };
}

/** Each image the Dockerfile builds FROM: on this machine, or in a registry docker can reach. */
export async function checkBaseImages(config: PipelineConfig, projectDir: string): Promise<CheckResult[]> {
  const file = resolve(projectDir, config.image.dockerfile);
  const dockerfile = await readFile(file, 'utf8').catch(() => undefined);
  if (dockerfile === undefined)
    return [
      fail('base image', `no Dockerfile at ${config.image.dockerfile}`, 'set image.dockerfile to yours'),
    ];
  const images = baseImagesOf(dockerfile, config.image.buildArgs);
  if (images.length === 0) return [ok('base image', 'FROM scratch: nothing to pull')];
  const results: CheckResult[] = [];
  for (const image of images) {
    if ((await dockerSays(['image', 'inspect', '--format', '{{.Id}}', image])).ok) {
      results.push(ok('base image', `${image} is on this machine`));
      continue;
    }
    const remote = await dockerSays(['manifest', 'inspect', image], 30_000);
    results.push(
      remote.ok
        ? ok('base image', `${image} is not on this machine; its registry has it: the first build pulls it`)
        : fail(
            'base image',
            `${image} is not on this machine and its registry cannot be reached (${remote.text.split('\n').at(-1) || 'no answer'})`,
            baseImageAdvice(image),
          ),
    );
  }
  return results;
}

/** local.registry: a registry answers there (checked on this machine's loopback only). */
export async function checkRegistry(config: PipelineConfig): Promise<CheckResult[]> {
  const registry = config.local.registry;
  if (config.target !== 'local' || !registry) return [];
  const host = registry.replace(/:\d+$/, '');
  if (!isLoopback(host)) return [skip('local registry', `${registry} is not on this machine: not checked`)];
  const answer = await httpRequest(`http://${registry}/v2/`, { timeoutMs: 5000 }).catch(
    (error: Error) => error,
  );
  if (answer instanceof Error)
    return [
      fail(
        'local registry',
        `nothing answers at ${registry} (${answer.message})`,
        `start the registry (Debian: \`docker-registry serve /etc/docker/registry/config.yml\`, listening on ${registry}), or remove local.registry to use the built image as it is`,
      ),
    ];
  return answer.status === 200 || answer.status === 401
    ? [ok('local registry', `${registry} answers as a registry`)]
    : [
        fail(
          'local registry',
          `${registry} answers, but not as a registry (GET /v2/: ${answer.status})`,
          'point local.registry at an OCI registry (docker-registry)',
        ),
      ];
}
