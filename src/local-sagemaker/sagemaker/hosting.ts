// Models, endpoint configs and endpoints of the local SageMaker. An endpoint really serves: for
// each production variant the model's model.tar.gz is unpacked into a folder mounted as
// /opt/ml/model, `serve` starts on a free port (a container, or the programs as a process that
// outlives this one), and the endpoint is InService once every variant answers /ping. Requests
// are split between variants by weight, or sent to the TargetVariant.
//
// UpdateEndpoint is blue/green, as on SageMaker: the new deployment starts beside the old one,
// which keeps serving; when the new one is healthy it takes the traffic and the old one stops,
// and the update ends (InService) once it has stopped.
// When the new one fails, the endpoint stays InService on the old configuration and the failure
// is in FailureReason. A deleted endpoint stays deleted, whatever its deployment does later.
//
// A serverless variant (ServerlessConfig) starts no server when it is deployed: the first request
// starts one (a cold start), which then stays warm; its memory size is the container's memory
// limit where the runtime can set one (docker), and requests beyond MaxConcurrency are throttled.
// ProvisionedConcurrency keeps one server warm from the start.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { extract } from 'tar';
import type { RunningServer, ServerHandle } from '../../runtimes/container-runtime.js';
import { statusResource } from '../../shared/status-changes.js';
import type { LogStream } from '../logs/logs.js';
import type { Operation } from '../protocol/json-service.js';
import { epochSeconds } from '../protocol/request-fields.js';
import { ResourceStore } from '../protocol/resource-store.js';
import type { StatusFeed } from '../protocol/status-feed.js';
import { downloadPrefix, parseS3Uri, type StoredObjects } from '../s3/s3-transfer.js';
import { endpointLogStreams } from './endpoint-logs.js';
import { EndpointRouter, type Route } from './endpoint-router.js';
import { moveEndpoint } from './endpoint-status.js';
import type { FileImagePolicy } from './file-images.js';
import { HostingApi } from './hosting-api.js';
import {
  type Deployment,
  type Endpoint,
  type EndpointConfig,
  HOSTING_KINDS,
  type HostingKind,
  type Model,
  type ServingVariant,
} from './hosting-resources.js';

export type { Route } from './endpoint-router.js';

import type { TagStore } from './tags.js';
import { sameServer, VariantServers } from './variant-servers.js';

export interface HostingOptions {
  dir: string;
  region: string;
  s3: S3Client;
  /** Its S3's objects where they are stored (a model left uncompressed is copied from there). */
  objects: StoredObjects;
  /** How long a new deployment may take to answer /ping (SageMaker: 4 minutes). */
  healthCheckSeconds?: number;
  /** Tags given at creation go here; a deleted resource's tags go with it. */
  tags: TagStore;
  /** Labels every serving container as this local SageMaker's (its data folder). */
  owner?: string;
  /** Which file:// images it runs (as processes of its owner); none when absent. */
  fileImages?: FileImagePolicy;
  /** Hears of each endpoint's status changes (a client waits on them instead of a fixed delay). */
  statusFeed?: StatusFeed;
}

export class Hosting {
  private readonly servers: VariantServers;
  private readonly pending = new Set<Promise<void>>();
  /** Endpoints whose dead servers are being replaced, so one death starts one replacement. */
  private readonly replacing = new Set<string>();
  /** Set when the local SageMaker closes: servers that end then are not replaced. */
  private closing = false;
  private readonly tags: TagStore;

  private readonly store: ResourceStore<HostingKind>;
  private readonly router: EndpointRouter;

  constructor(private readonly options: HostingOptions) {
    this.tags = options.tags;
    this.servers = new VariantServers(options);
    this.store = new ResourceStore(
      options.dir,
      options.region,
      HOSTING_KINDS,
      options.tags,
      (kind, name, record) => {
        if (kind !== 'endpoints') return;
        const endpoint = record as Endpoint | undefined;
        options.statusFeed?.saved(
          statusResource('endpoint', name),
          endpoint ? `${endpoint.EndpointStatus}/${endpoint.EndpointConfigName}` : 'gone',
        );
      },
    );
    this.router = new EndpointRouter(this, this.store);
  }

  /** Whether the ARN names a model, endpoint config or endpoint of this store. */
  arnExists(arn: string): Promise<boolean> {
    return this.store.arnExists(arn);
  }

  /** Runs `work` after the answer, followed until it ends (see idle). */
  background(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  operations(): Record<string, Operation> {
    return new HostingApi(this, this.store, this.options).operations();
  }

  /** Starts a serverless variant's server and waits for /ping (a cold start). */
  startVariant(variant: ServingVariant): Promise<RunningServer> {
    return this.servers.start(variant);
  }

  /** Stops a deployment's servers and removes its folder, but for what its successor kept. */
  stopDeployment(deployment: Deployment | undefined, successor?: Deployment): Promise<void> {
    return this.servers.stopDeployment(deployment, successor);
  }

  /**
   * The running servers of a variant of the deployment being replaced that runs what `runs`
   * says (the same model on the same instance type), for the new deployment to keep: at most
   * `count`, with the folder they serve from. Undefined when none can be kept.
   *
   * SageMaker starts a new fleet for every update; here starting a server is most of an update's
   * time, and a kept server answers exactly as a new one on the same model folder would. The gated
   * deploy's three updates (the champion beside a candidate, the candidate alone) start one server
   * instead of three.
   */
  private async handOver(
    previous: Deployment | undefined,
    runs: NonNullable<ServingVariant['runs']>,
    count: number,
    claimed: Set<string>,
  ): Promise<{ dir: string; servers: RunningServer[] } | undefined> {
    const same = previous?.variants.find(
      (variant) =>
        !variant.serverless &&
        !claimed.has(variant.dir) &&
        variant.runs?.model === runs.model &&
        variant.runs.modelCreated === runs.modelCreated &&
        variant.runs.instanceType === runs.instanceType,
    );
    if (!same) return undefined;
    const servers: RunningServer[] = [];
    for (const handle of same.servers.slice(0, count)) {
      const server = await this.servers.find(handle);
      if (server) servers.push(server);
    }
    if (servers.length === 0) return undefined;
    claimed.add(same.dir);
    return { dir: same.dir, servers };
  }

  /**
   * Brings up every variant of a config; all of them, or none (the started ones are stopped). A
   * variant the deployment it replaces runs unchanged keeps that one's servers (handOver).
   */
  private async startDeployment(
    endpointName: string,
    config: EndpointConfig,
    previous?: Deployment,
  ): Promise<Endpoint['deployment']> {
    const dir = join(this.options.dir, 'deployments', endpointName.toLowerCase(), `${Date.now()}`);
    const started: RunningServer[] = [];
    const claimed = new Set<string>();
    try {
      const variants: ServingVariant[] = [];
      for (const variant of config.ProductionVariants) {
        const model = await this.store.mustLoad<Model>('models', variant.ModelName);
        const runs = {
          model: model.ModelName,
          modelCreated: model.CreationTime,
          ...(variant.InstanceType ? { instanceType: variant.InstanceType } : {}),
        };
        const count = variant.ServerlessConfig ? 1 : (variant.InitialInstanceCount ?? 1);
        const kept = variant.ServerlessConfig
          ? undefined
          : await this.handOver(previous, runs, count, claimed);
        const variantDir = kept?.dir ?? join(dir, variant.VariantName);
        const serving: ServingVariant = {
          name: variant.VariantName,
          ...(variant.ContainerStartupHealthCheckTimeoutInSeconds !== undefined
            ? { startupSeconds: variant.ContainerStartupHealthCheckTimeoutInSeconds }
            : {}),
          dir: variantDir,
          servers: [],
          image: model.PrimaryContainer.Image,
          runs,
          ...(model.PrimaryContainer.Environment ? { env: model.PrimaryContainer.Environment } : {}),
          ...(variant.ServerlessConfig
            ? {
                serverless: {
                  memoryMb: variant.ServerlessConfig.MemorySizeInMB,
                  maxConcurrency: variant.ServerlessConfig.MaxConcurrency,
                },
              }
            : {}),
        };
        if (kept) {
          // Its model folder is there, and its image was ready: only missing instances start.
          const added = await this.servers.startInstances(
            serving,
            Array.from({ length: count - kept.servers.length }, (_, slot) => kept.servers.length + slot),
          );
          started.push(...added);
          for (const server of added) this.watch(server, endpointName);
          const servers = [...kept.servers, ...added].map((server) => server.handle);
          variants.push({ ...serving, servers });
          continue;
        }
        await mkdir(join(variantDir, 'model'), { recursive: true });
        // The image is checked (or pulled) while the model downloads: an image that cannot be had
        // fails the deployment now, a serverless variant's too.
        const { ModelDataUrl, ModelDataSource } = model.PrimaryContainer;
        const uncompressed = ModelDataSource?.S3DataSource?.S3Uri;
        await Promise.all([
          ModelDataUrl
            ? this.unpackModel(ModelDataUrl, variantDir)
            : uncompressed
              ? downloadPrefix(this.options.objects, uncompressed, join(variantDir, 'model'))
              : undefined,
          this.servers.prepareImage(serving),
        ]);
        if (variant.ServerlessConfig && !variant.ServerlessConfig.ProvisionedConcurrency) {
          variants.push(serving); // started by its first request
          continue;
        }
        // One server per instance, started together; a serverless variant's provisioned one.
        const running = await this.servers.startInstances(
          serving,
          Array.from({ length: count }, (_, slot) => slot),
          { imageReady: true },
        );
        started.push(...running);
        for (const server of running) this.watch(server, endpointName);
        variants.push({ ...serving, servers: running.map((server) => server.handle) });
      }
      return {
        dir,
        variants,
        ...(config.AsyncInferenceConfig ? { asyncInference: config.AsyncInferenceConfig } : {}),
      };
    } catch (error) {
      await Promise.all(started.map((server) => server.stop(5)));
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Deploys a config to an endpoint: a new endpoint, or blue/green beside the serving one. */
  async deploy(name: string, config: EndpointConfig, mode: 'create' | 'update'): Promise<void> {
    let deployment: Endpoint['deployment'];
    let failure: string | undefined;
    const serving = mode === 'update' ? await this.store.load<Endpoint>('endpoints', name) : undefined;
    try {
      deployment = await this.startDeployment(name, config, serving?.deployment);
    } catch (error) {
      failure = (error as Error).message.slice(0, 1024);
    }
    let previous: Deployment | undefined;
    const saved = await this.store.update<Endpoint>('endpoints', name, (current) => {
      delete current.PendingDeploymentSummary;
      if (!deployment) {
        // A failed update leaves the old deployment serving, InService; a failed creation has none.
        moveEndpoint(
          current,
          mode === 'update' && current.deployment ? 'InService' : 'Failed',
          failure ?? 'the deployment failed',
        );
        return current;
      }
      previous = current.deployment;
      current.deployment = deployment;
      current.EndpointConfigName = config.EndpointConfigName;
      // As on SageMaker, an update ends when the old fleet is gone; the new one serves meanwhile.
      moveEndpoint(current, previous ? 'Updating' : 'InService');
      if (previous) current.retiring = previous;
      current.ProductionVariants = describeVariants(config, deployment);
      return current;
    });
    if (!saved) {
      // Deleted while this deployment was starting: it must not bring the endpoint back.
      await this.stopDeployment(deployment);
      return;
    }
    // The new deployment takes requests from here on; the old one drains and stops.
    if (previous && deployment) await this.retire(name, previous, deployment);
  }

  /**
   * Stops a replaced deployment, then ends its endpoint's update (unless it was deleted or updated
   * meanwhile); the endpoint as it is then.
   */
  private async retire(
    name: string,
    previous: Deployment,
    successor: Deployment | undefined,
  ): Promise<Endpoint | undefined> {
    const stopped = this.stopDeployment(previous, successor);
    // The record is settled whether or not a server failed to stop; the failure is then the caller's.
    await stopped.catch(() => undefined);
    const latest = await this.store.update<Endpoint>('endpoints', name, (endpoint) => {
      if (endpoint.retiring?.dir !== previous.dir) return undefined;
      delete endpoint.retiring;
      moveEndpoint(
        endpoint,
        endpoint.EndpointStatus === 'Updating' ? 'InService' : endpoint.EndpointStatus,
        endpoint.FailureReason,
      );
      return endpoint;
    });
    await stopped;
    return latest;
  }

  /** That a model exists: SageMaker's answer for one that does not otherwise. */
  async mustHaveModel(modelName: string): Promise<void> {
    await this.store.mustLoad<Model>('models', modelName);
  }

  /**
   * A model as a transform job serves it: its image and environment, and its artifact unpacked
   * under `dir`/model (SageMaker's answer for a model that does not exist otherwise).
   */
  async prepareModel(
    modelName: string,
    dir: string,
  ): Promise<{ image: string; env?: Record<string, string> }> {
    const model = await this.store.mustLoad<Model>('models', modelName);
    await mkdir(join(dir, 'model'), { recursive: true });
    const { ModelDataUrl, ModelDataSource, Image, Environment } = model.PrimaryContainer;
    const uncompressed = ModelDataSource?.S3DataSource?.S3Uri;
    if (ModelDataUrl) await this.unpackModel(ModelDataUrl, dir);
    else if (uncompressed) await downloadPrefix(this.options.objects, uncompressed, join(dir, 'model'));
    return { image: Image, ...(Environment ? { env: Environment } : {}) };
  }

  private async unpackModel(uri: string, variantDir: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const archive = join(variantDir, 'model.tar.gz');
    const body = (await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))
      .Body as Readable;
    await pipeline(body, createWriteStream(archive));
    await pipeline(createReadStream(archive), extract({ cwd: join(variantDir, 'model') }));
  }

  /** Where an invocation goes: the TargetVariant, or a variant chosen by weight. */
  route(name: string, targetVariant?: string): Promise<Route> {
    return this.router.route(name, targetVariant);
  }

  /**
   * Records a server started for a variant (a cold start, a replacement) in its endpoint, in the
   * place of the one it replaces (else as the variant's first), and watches it. When the endpoint
   * was deleted, its deployment replaced or the instance removed meanwhile, the server serves
   * nobody: it is stopped, and the answer is false.
   */
  async adopt(
    name: string,
    variant: ServingVariant,
    server: RunningServer,
    { modified = false, replacing }: { modified?: boolean; replacing?: ServerHandle } = {},
  ): Promise<boolean> {
    let adopted = false;
    await this.store.update<Endpoint>('endpoints', name, (latest) => {
      const same = latest.deployment?.variants.find((v) => v.name === variant.name && v.dir === variant.dir);
      if (!same) return undefined;
      const slot = replacing ? same.servers.findIndex((handle) => sameServer(handle, replacing)) : 0;
      if (slot < 0 || (!replacing && same.servers.length > 0)) return undefined;
      same.servers[slot] = server.handle;
      if (modified) latest.LastModifiedTime = epochSeconds();
      adopted = true;
      return latest;
    });
    if (!adopted) {
      await server.stop(5);
      return false;
    }
    this.watch(server, name);
    return true;
  }

  /**
   * Brings a variant of the deployment in service to `count` instances (UpdateEndpointWeightsAnd-
   * Capacities' DesiredInstanceCount): new servers started beside the serving ones and added once
   * they answer /ping, or the last ones taken out of routing, then stopped. All or nothing: when a
   * new server fails, those started with it stop, and the reason is the answer.
   */
  async scale(name: string, variantName: string, count: number): Promise<string | undefined> {
    const endpoint = await this.store.load<Endpoint>('endpoints', name);
    const variant = endpoint?.deployment?.variants.find((v) => v.name === variantName);
    if (!variant) return undefined;
    const inDeployment = (latest: Endpoint) =>
      latest.deployment?.variants.find((v) => v.name === variantName && v.dir === variant.dir);
    const current = variant.servers.length;
    if (count < current) {
      let removed: ServerHandle[] = [];
      await this.store.update<Endpoint>('endpoints', name, (latest) => {
        const same = inDeployment(latest);
        if (!same) return undefined;
        removed = same.servers.splice(count);
        return latest;
      });
      await Promise.all(removed.map((handle) => this.servers.stop(handle)));
      return undefined;
    }
    let started: RunningServer[];
    try {
      started = await this.servers.startInstances(
        variant,
        Array.from({ length: count - current }, (_, index) => current + index),
      );
    } catch (error) {
      return (error as Error).message;
    }
    let added = false;
    await this.store.update<Endpoint>('endpoints', name, (latest) => {
      const same = inDeployment(latest);
      if (!same) return undefined;
      same.servers.push(...started.map((server) => server.handle));
      added = true;
      return latest;
    });
    // The endpoint was deleted or redeployed meanwhile: the new servers serve nobody.
    if (!added) {
      await Promise.all(started.map((server) => server.stop(5)));
      return undefined;
    }
    for (const server of started) this.watch(server, name);
    return undefined;
  }

  /**
   * An instance's server that no longer answers is replaced, as SageMaker replaces an unhealthy
   * instance: a new server from the same model folder, in its place. The endpoint stays InService
   * meanwhile, its other instances serving. The variant is found by the server (a server a later
   * deployment kept may serve a variant of another name there).
   */
  replaceIfGone(name: string, gone: ServerHandle): void {
    const key = `${name}/${gone.port}`;
    if (this.replacing.has(key)) return;
    this.replacing.add(key);
    this.background(
      (async () => {
        const endpoint = await this.store.load<Endpoint>('endpoints', name);
        const variant = endpoint?.deployment?.variants.find((v) =>
          v.servers.some((handle) => sameServer(handle, gone)),
        );
        const slot = variant?.servers.findIndex((handle) => sameServer(handle, gone)) ?? -1;
        if (!endpoint || !variant || slot < 0) return;
        if (await this.servers.alive(gone)) return;
        try {
          const server = await this.servers.start(variant, { slot });
          await this.adopt(name, variant, server, { modified: true, replacing: gone });
        } catch (error) {
          // Unless the endpoint was deleted or redeployed meanwhile (which stopped this attempt).
          await this.store.update<Endpoint>('endpoints', name, (latest) => {
            if (!latest.deployment?.variants.some((v) => v.dir === variant.dir)) return undefined;
            moveEndpoint(
              latest,
              'Failed',
              `The serving container of variant ${variant.name} stopped and could not be replaced: ${(error as Error).message}`,
            );
            return latest;
          });
        }
      })().finally(() => this.replacing.delete(key)),
    );
  }

  /**
   * On start: endpoints in service whose servers stopped while no local SageMaker watched get them
   * replaced; deployments that were starting when the last one stopped are Failed (a creation)
   * or back InService on the old configuration (an update).
   */
  async reconcile(): Promise<void> {
    for (const found of await this.store.loadAll<Endpoint>('endpoints')) {
      const name = found.EndpointName;
      if (upgradeRecord(found)) await this.store.update<Endpoint>('endpoints', name, () => found);
      // An update whose new deployment was serving while the old one stopped: finish stopping it.
      const endpoint = found.retiring ? await this.retire(name, found.retiring, found.deployment) : found;
      if (!endpoint) continue;
      if (endpoint.EndpointStatus === 'Creating' || endpoint.EndpointStatus === 'Updating') {
        const interrupted = 'The local SageMaker stopped while this deployment was starting.';
        moveEndpoint(endpoint, endpoint.deployment ? 'InService' : 'Failed', interrupted);
        delete endpoint.PendingDeploymentSummary;
        await this.store.update<Endpoint>('endpoints', name, () => endpoint);
      }
      for (const variant of endpoint.deployment?.variants ?? []) {
        for (const handle of variant.servers) {
          const server = await this.servers.find(handle);
          if (server) this.watch(server, name);
          else if (endpoint.EndpointStatus === 'InService') this.replaceIfGone(name, handle);
        }
      }
    }
  }

  /** The endpoints' logs (endpoint-logs.ts). */
  async logStreams(): Promise<LogStream[]> {
    return endpointLogStreams(await this.store.loadAll<Endpoint>('endpoints'));
  }

  /**
   * SageMaker watches every instance and replaces one whose server stops: here the server's end
   * (its container or process exiting) is the event, so a dead server is replaced before any
   * request finds it gone. A server stopped on purpose finds its endpoint deleted or serving
   * from another server, and nothing is replaced.
   */
  private watch(server: RunningServer, endpoint: string): void {
    void server.exited.then(() => {
      if (!this.closing) this.replaceIfGone(endpoint, server.handle);
    });
  }

  /** The local SageMaker is closing: endpoints keep serving, and whatever ends is not replaced. */
  stopWatching(): void {
    this.closing = true;
  }

  /** The local SageMaker has closed: what follows the servers is let go, so that it can exit. */
  release(): void {
    this.servers.releaseAll();
  }

  /** Waits for deployments in progress (the server is closing). Endpoints keep serving. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/** The endpoint's variants as DescribeEndpoint shows them once a config is deployed. */
function describeVariants(config: EndpointConfig, deployment: Deployment): Endpoint['ProductionVariants'] {
  const resolvedAt = epochSeconds();
  return config.ProductionVariants.map((variant) => {
    const weight = variant.InitialVariantWeight ?? 1;
    const count = variant.InitialInstanceCount ?? 1;
    const image = deployment.variants.find((v) => v.name === variant.VariantName)?.image ?? '';
    return {
      VariantName: variant.VariantName,
      DeployedImages: [{ SpecifiedImage: image, ResolvedImage: image, ResolutionTime: resolvedAt }],
      CurrentWeight: weight,
      DesiredWeight: weight,
      ...(variant.ServerlessConfig
        ? {
            CurrentServerlessConfig: variant.ServerlessConfig,
            DesiredServerlessConfig: variant.ServerlessConfig,
          }
        : { CurrentInstanceCount: count, DesiredInstanceCount: count }),
    };
  });
}

/**
 * An endpoint saved by an earlier version in today's shape: one server for the whole deployment
 * (`deployment.server`), or one per variant (`variant.server`), become each variant's `servers`.
 * Whether anything changed.
 */
function upgradeRecord(endpoint: Endpoint): boolean {
  let changed = false;
  for (const key of ['deployment', 'retiring'] as const) {
    const old = endpoint[key] as
      | { server?: ServerHandle; dir: string; variants?: (ServingVariant & { server?: ServerHandle })[] }
      | undefined;
    if (!old) continue;
    if (!old.variants) {
      endpoint[key] = {
        dir: old.dir,
        variants: [
          {
            name: endpoint.ProductionVariants?.[0]?.VariantName ?? 'AllTraffic',
            servers: old.server ? [old.server] : [],
            dir: old.dir,
            image: '',
          },
        ],
      };
      changed = true;
      continue;
    }
    for (const variant of old.variants) {
      if (variant.servers) continue;
      variant.servers = variant.server ? [variant.server] : [];
      delete variant.server;
      changed = true;
    }
  }
  return changed;
}
