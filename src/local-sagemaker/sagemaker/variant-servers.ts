// The model servers of the endpoints' variants: started on an unpacked model folder (a container,
// or the programs as a process that outlives this one) and healthy once they answer /ping,
// followed while they run, found again after a restart of the local SageMaker, and stopped. A
// variant on several instances has a server for each.
import { rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunningServer, ServerHandle } from '../../runtimes/container-runtime.js';
import { runtimeFor, runtimeOfServer } from '../../runtimes/select-runtime.js';
import { waitForPing } from '../../runtimes/wait-for-ping.js';
import { freePort } from '../../shared/free-port.js';
import { isWithin } from '../../shared/path-within.js';
import type { Deployment, ServingVariant } from './hosting-resources.js';
import { imageFor } from './training-job-runner.js';

export const sameServer = (a: ServerHandle, b: ServerHandle): boolean =>
  a.kind === 'docker' && b.kind === 'docker'
    ? a.container === b.container
    : a.kind === 'process' && b.kind === 'process' && a.pid === b.pid;

export interface VariantServerOptions {
  /** How long a new server may take to answer /ping (SageMaker: 4 minutes). */
  healthCheckSeconds?: number;
  /** Labels every serving container as this local SageMaker's (its data folder). */
  owner?: string;
}

export class VariantServers {
  /** Servers this process started or found again, by container or pid. */
  private readonly servers: RunningServer[] = [];

  constructor(private readonly options: VariantServerOptions) {}

  /** Makes the image of a variant ready to serve, as SageMaker pulls it before a deployment. */
  async prepareImage(variant: ServingVariant): Promise<void> {
    const { image } = imageFor(variant.image);
    try {
      await runtimeFor(image).prepareImage(image, 'serve');
    } catch (error) {
      throw new Error(
        `The image of production variant ${variant.name} could not be used: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Starts the server of one of a variant's instances (`slot`: its place in `servers`) on the
   * variant's unpacked model folder, and waits for /ping.
   */
  async start(
    variant: ServingVariant,
    { imageReady = false, slot = 0 }: { imageReady?: boolean; slot?: number } = {},
  ): Promise<RunningServer> {
    if (!imageReady) await this.prepareImage(variant);
    const { image } = imageFor(variant.image);
    const logFile = instanceLogFile(variant, slot);
    const server = await runtimeFor(image).serve({
      image,
      modelDir: join(variant.dir, 'model'),
      port: await freePort(),
      ...(variant.env ? { env: variant.env } : {}),
      log: () => undefined,
      detachedLogFile: logFile,
      ...(this.options.owner ? { owner: this.options.owner } : {}),
      ...(variant.serverless ? { memoryMb: variant.serverless.memoryMb } : {}),
    });
    const startupSeconds = variant.startupSeconds ?? this.options.healthCheckSeconds ?? 240;
    try {
      await waitForPing(server, startupSeconds);
    } catch (error) {
      // Its last lines before it is stopped: a stopped container's log goes with it.
      const output = await runtimeFor(image).serverOutput(server.handle, logFile);
      await server.stop(5);
      const last = output.slice(-5).map((line) => line.message);
      throw new Error(
        `The primary container for production variant ${variant.name} did not pass the ping health check: ${(error as Error).message}. ` +
          `A SageMaker model server answers GET /ping with 200 on port 8080 (a program run as a process: on SAGEMAKER_BIND_TO_PORT) within ${startupSeconds} s of \`serve\` starting (ContainerStartupHealthCheckTimeoutInSeconds).` +
          (last.length > 0 ? ` Its last lines:\n${last.join('\n')}` : ' It wrote nothing.'),
      );
    }
    this.servers.push(server);
    return server;
  }

  /**
   * The servers of several of a variant's instances (their slots), started together: all of them,
   * or none (those that started are stopped, and the first failure is thrown).
   */
  async startInstances(
    variant: ServingVariant,
    slots: readonly number[],
    { imageReady = false }: { imageReady?: boolean } = {},
  ): Promise<RunningServer[]> {
    const results = await Promise.allSettled(slots.map((slot) => this.start(variant, { imageReady, slot })));
    const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (!failed) return started;
    await Promise.all(started.map((server) => server.stop(5)));
    throw failed.reason;
  }

  /** The server this process follows for a handle, or one found again by the handle. */
  async find(handle: ServerHandle): Promise<RunningServer | undefined> {
    const tracked = this.servers.find((server) => sameServer(server.handle, handle));
    if (tracked) return tracked;
    const found = await runtimeOfServer(handle).reattach(handle, this.options.owner);
    if (found) this.servers.push(found);
    return found;
  }

  /** Whether the server of a handle still runs (found again, not followed). */
  async alive(handle: ServerHandle): Promise<boolean> {
    return (await runtimeOfServer(handle).reattach(handle, this.options.owner)) !== undefined;
  }

  /** Stops following every server (they keep serving): the local SageMaker is closing. */
  releaseAll(): void {
    for (const server of this.servers.splice(0)) server.release();
  }

  /** Stops the server of a handle (an instance removed, or its deployment stopped). */
  async stop(handle: ServerHandle): Promise<void> {
    const server = await this.find(handle);
    await server?.stop(30);
    const index = this.servers.findIndex((s) => sameServer(s.handle, handle));
    if (index >= 0) this.servers.splice(index, 1);
  }

  /**
   * Stops a deployment's servers and removes its folders, except what its successor kept (the
   * servers and model folders of variants it runs unchanged, see Hosting.handOver): a kept
   * variant's folder may live in an older deployment's, which goes once its last variant has.
   */
  async stopDeployment(deployment: Deployment | undefined, successor?: Deployment): Promise<void> {
    if (!deployment) return;
    const keptServers = successor?.variants.flatMap((variant) => variant.servers) ?? [];
    const keptDirs = new Set(successor?.variants.map((variant) => variant.dir));
    await Promise.all(
      deployment.variants.flatMap((variant) =>
        variant.servers
          .filter((handle) => !keptServers.some((kept) => sameServer(kept, handle)))
          .map((handle) => this.stop(handle)),
      ),
    );
    const removed = deployment.variants.filter((variant) => !keptDirs.has(variant.dir));
    await Promise.all(removed.map((variant) => rm(variant.dir, { recursive: true, force: true })));
    const holdsKept = [...keptDirs].some((dir) => isWithin(deployment.dir, dir));
    if (!holdsKept) await rm(deployment.dir, { recursive: true, force: true });
    const folders = new Set([deployment.dir, ...removed.map((variant) => dirname(variant.dir))]);
    await Promise.all([...folders].map(removeIfEmpty));
  }
}

/** Removes a folder that holds nothing (any more); one that still does is left. */
async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT' && error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  });
}

/** Where an instance's server writes (a process; docker keeps a container's output itself). */
export function instanceLogFile(variant: Pick<ServingVariant, 'dir'>, slot: number): string {
  return join(variant.dir, slot === 0 ? 'serve.log' : `serve-${slot + 1}.log`);
}
