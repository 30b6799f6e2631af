// The `docker` runtime: the built image run as SageMaker runs it, `IMAGE train` with the job
// folder mounted at /opt/ml and no network (a job on several hosts: an internal network of its
// own, each container under its host name), `IMAGE serve` with the model at /opt/ml/model on a
// bridge network of its own, its port 8080 published on a loopback port only. Containers and
// networks are labelled, named and removed when done, so that none is left behind; those of a
// local SageMaker also carry its data folder, so that what a killed one left can be found.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { forEachLine } from '../../shared/line-splitter.js';
import type {
  BuiltImage,
  ContainerRuntime,
  RunningServer,
  ServeRequest,
  ServerHandle,
  TrainRequest,
} from '../container-runtime.js';
import { logFileLines } from '../log-file-lines.js';
import { docker } from './docker-cli.js';
import { dockerValues } from './docker-env.js';

export const MANAGED_LABEL = 'sagemaker-pipeline.managed=true';
const OWNER_KEY = 'sagemaker-pipeline.owner';

const labels = (owner: string | undefined): string[] => [
  '--label',
  MANAGED_LABEL,
  ...(owner ? ['--label', `${OWNER_KEY}=${owner}`] : []),
];

/**
 * Removes every container and network labelled as `owner`'s, and says which. A local SageMaker
 * stops its own; this is for what is left when it could not (killed while stopping a server or a
 * job), so that `pipeline destroy` leaves nothing behind. Nothing to do without a docker engine.
 */
export async function removeOwnedContainers(owner: string): Promise<string[]> {
  const filter = ['--filter', `label=${OWNER_KEY}=${owner}`];
  const listed = await execa('docker', ['ps', '-a', '--format', '{{.Names}}', ...filter], {
    reject: false,
    stdin: 'ignore',
  });
  if (listed.exitCode !== 0) return [];
  const containers = String(listed.stdout).split('\n').filter(Boolean);
  if (containers.length > 0)
    await execa('docker', ['rm', '-f', ...containers], { reject: false, stdin: 'ignore' });
  const networks = await execa('docker', ['network', 'ls', '--format', '{{.Name}}', ...filter], {
    reject: false,
    stdin: 'ignore',
  });
  const names = String(networks.stdout).split('\n').filter(Boolean);
  if (names.length > 0)
    await execa('docker', ['network', 'rm', ...names], { reject: false, stdin: 'ignore' });
  return [...containers.map((name) => `container ${name}`), ...names.map((name) => `network ${name}`)];
}

function imageRef(image: BuiltImage): string {
  if (image.runtime !== 'docker') throw new Error(`the docker runtime cannot run a ${image.runtime} build`);
  return image.imageId;
}

/**
 * Images this process found (or pulled) by a reference that names their content (an image ID, or a
 * repository@sha256 digest): every job and endpoint of a run uses the same one, and asking docker
 * again (`docker image inspect`, 25-35 ms a time here) was the largest single part of what the
 * local SageMaker adds to a short training job. A tag can be moved to other content: always asked.
 * An image removed meanwhile fails its container's start with docker's own message.
 */
const presentImages = new Set<string>();
const isImmutableRef = (ref: string): boolean =>
  /^sha256:[0-9a-f]{64}$/.test(ref) || /@sha256:[0-9a-f]{64}$/.test(ref);

const containerName = (kind: string): string => `pipeline-${kind}-${randomBytes(4).toString('hex')}`;

/** The port SageMaker sends /ping and /invocations to inside a serving container. */
export const SERVING_PORT = 8080;

async function stopContainer(name: string, graceSeconds: number): Promise<void> {
  await execa('docker', ['stop', '-t', String(graceSeconds), name], { reject: false, stdin: 'ignore' });
  await execa('docker', ['rm', '-f', name], { reject: false, stdin: 'ignore' });
}

/** A serving container's network is named after it and removed with it. */
async function stopServer(name: string, graceSeconds: number): Promise<void> {
  await stopContainer(name, graceSeconds);
  await execa('docker', ['network', 'rm', name], { reject: false, stdin: 'ignore' });
}

export const dockerRuntime: ContainerRuntime = {
  kind: 'docker',

  async prepareImage(image: BuiltImage) {
    const ref = imageRef(image);
    if (presentImages.has(ref)) return;
    const present = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], {
      reject: false,
      stdin: 'ignore',
    });
    if (present.exitCode !== 0) {
      const pulled = await execa('docker', ['pull', '--quiet', ref], {
        reject: false,
        stdin: 'ignore',
        all: true,
      });
      if (pulled.exitCode !== 0) {
        const reason =
          String(pulled.all).trim().split('\n').at(-1) ?? `docker pull exited with ${pulled.exitCode}`;
        throw new Error(`Cannot pull the image ${ref}: ${reason}`);
      }
    }
    if (isImmutableRef(ref)) presentImages.add(ref);
  },

  async train(request: TrainRequest) {
    const name = containerName('train');
    const environment = dockerValues('-e', request.env);
    const child = execa(
      'docker',
      [
        'run',
        '--rm',
        '--name',
        name,
        ...labels(request.owner),
        ...(request.cluster
          ? [
              '--network',
              request.cluster.network,
              '--hostname',
              request.cluster.host,
              '--network-alias',
              request.cluster.host,
            ]
          : ['--network', 'none']),
        '-v',
        `${request.mlDir}:/opt/ml`,
        ...environment.args,
        ...trainCommand(request),
      ],
      { reject: false, all: true, stdin: 'ignore', env: environment.env },
    );
    forEachLine(child.all, request.log);
    const onAbort = () => void stopContainer(name, request.stopGraceSeconds ?? 120);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    // Stopped while it was being set up: an abort before the listener was there fires nothing.
    if (request.signal?.aborted) onAbort();
    const result = await child;
    request.signal?.removeEventListener('abort', onAbort);
    return { exitCode: result.exitCode ?? 143 };
  },

  async jobNetwork(owner?: string) {
    // Internal: the hosts reach each other (docker's DNS resolves their names) and nothing else,
    // as a single-host job reaches nothing (--network none).
    const name = containerName('job');
    await docker(['network', 'create', '--internal', ...labels(owner), name]);
    return {
      name,
      remove: async () => {
        await execa('docker', ['network', 'rm', name], { reject: false, stdin: 'ignore' });
      },
    };
  },

  async serve(request: ServeRequest): Promise<RunningServer> {
    const name = containerName('serve');
    // A user-defined bridge of its own (the engine may have no default bridge: dockerd
    // --bridge=none), so that the container listens on 8080 as on SageMaker and only this
    // machine's loopback reaches it; two endpoints never compete for one port.
    await docker(['network', 'create', ...labels(request.owner), name]);
    const environment = dockerValues('-e', request.env);
    try {
      await docker(
        [
          'run',
          '-d',
          '--name',
          name,
          ...labels(request.owner),
          '--network',
          name,
          '-p',
          `127.0.0.1:${request.port}:${SERVING_PORT}`,
          // No swap beyond the limit: a serverless endpoint's memory size is all it gets.
          ...(request.memoryMb
            ? ['--memory', `${request.memoryMb}m`, '--memory-swap', `${request.memoryMb}m`]
            : []),
          ...environment.args,
          '-v',
          `${request.modelDir}:/opt/ml/model:ro`,
          imageRef(request.image),
          'serve',
        ],
        { env: environment.env },
      );
    } catch (error) {
      await stopServer(name, 0);
      throw error;
    }
    if (!request.detachedLogFile) {
      const logs = execa('docker', ['logs', '-f', name], { reject: false, all: true, stdin: 'ignore' });
      forEachLine(logs.all, request.log);
      void logs.catch(() => undefined);
    }
    return followContainer({ kind: 'docker', container: name, port: request.port });
  },

  async reattach(handle: ServerHandle, owner?: string) {
    if (handle.kind !== 'docker') return undefined;
    const state = await execa(
      'docker',
      ['inspect', '--format', `{{.State.Running}} {{index .Config.Labels "${OWNER_KEY}"}}`, handle.container],
      { reject: false, stdin: 'ignore' },
    );
    const [running, labelled = ''] = String(state.stdout).trim().split(' ');
    if (running !== 'true') return undefined;
    // Another data folder's (a copied record names the original's container), unless that folder
    // is gone: then the project moved, and the container is its own.
    if (owner !== undefined && labelled !== owner && (labelled === '' || existsSync(labelled)))
      return undefined;
    return followContainer(handle);
  },
  /** Docker keeps a container's output, each line with its time (`docker logs --timestamps`). */
  async serverOutput(handle, logFile) {
    if (handle.kind !== 'docker') return logFileLines(logFile);
    const logs = await execa('docker', ['logs', '--timestamps', handle.container], {
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    if (logs.exitCode !== 0) return logFileLines(logFile);
    return String(logs.all ?? '')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        const space = line.indexOf(' ');
        const timestamp = Date.parse(line.slice(0, space));
        return Number.isNaN(timestamp)
          ? { timestamp: Date.now(), message: line }
          : { timestamp, message: line.slice(space + 1) };
      });
  },
};

/**
 * `IMAGE train`, as SageMaker starts a training container (`IMAGE`, a processing container), or
 * what the job asked for instead:
 * `--entrypoint E0 IMAGE E1… A…` for ContainerEntrypoint (and ContainerArguments), `IMAGE A…` for
 * ContainerArguments alone.
 */
function trainCommand(request: TrainRequest): string[] {
  const { entrypoint = [], arguments: args = [] } = request.command ?? {};
  const [first, ...rest] = entrypoint;
  if (first !== undefined) return ['--entrypoint', first, imageRef(request.image), ...rest, ...args];
  // A processing job runs the image's own ENTRYPOINT (and CMD, unless arguments replace it).
  if (request.program === 'process') return [imageRef(request.image), ...args];
  return [imageRef(request.image), ...(args.length > 0 ? args : ['train'])];
}

/** A running serving container, followed by `docker wait` and stopped by name. */
function followContainer(handle: Extract<ServerHandle, { kind: 'docker' }>): RunningServer {
  // `docker wait` is a child of this process: while it runs, this process cannot exit.
  const waiting = execa('docker', ['wait', handle.container], { reject: false, stdin: 'ignore' });
  const exited = waiting.then((result) =>
    result.exitCode === 0 ? Number(String(result.stdout).trim()) : 137,
  );
  return {
    handle,
    url: `http://127.0.0.1:${handle.port}`,
    exited,
    stop: (graceSeconds = 30) => stopServer(handle.container, graceSeconds),
    release: () => {
      waiting.kill();
    },
  };
}
