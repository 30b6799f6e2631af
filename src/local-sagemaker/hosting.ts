// Models, endpoint configs and endpoints of the local SageMaker. An endpoint really serves: the
// model's model.tar.gz is unpacked into a folder mounted as /opt/ml/model, `serve` starts on a
// free port (a container, or the programs as a process that outlives this one), and the endpoint
// is InService once /ping answers. UpdateEndpoint starts the new deployment before it stops the
// old one, so that no invocation fails during the switch.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { extract } from 'tar';
import type { RunningServer, ServerHandle } from '../runtimes/container-runtime.js';
import { runtimeFor, runtimeOfServer } from '../runtimes/select-runtime.js';
import { waitForPing } from '../runtimes/wait-for-ping.js';
import { freePort } from '../shared/free-port.js';
import { writeFileAtomic } from '../shared/write-file-atomic.js';
import { validation } from './aws-error.js';
import type { Operation } from './json-service.js';
import { epochSeconds, field, type Input, required, resourceName } from './request-fields.js';
import { parseS3Uri } from './s3-transfer.js';
import { pathInside } from './store-path.js';
import { ACCOUNT, imageFor } from './training-jobs.js';

interface Model {
  ModelName: string;
  ModelArn: string;
  ExecutionRoleArn: string;
  PrimaryContainer: { Image: string; ModelDataUrl?: string; Environment?: Record<string, string> };
  CreationTime: number;
  Tags?: unknown[];
}

interface Variant {
  VariantName: string;
  ModelName: string;
  InstanceType?: string;
  InitialInstanceCount?: number;
  InitialVariantWeight?: number;
}

interface EndpointConfig {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: Variant[];
  CreationTime: number;
}

type EndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Failed' | 'Deleting' | 'OutOfService';

interface Endpoint {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: EndpointStatus;
  FailureReason?: string;
  CreationTime: number;
  LastModifiedTime: number;
  ProductionVariants?: { VariantName: string; CurrentInstanceCount: number; DesiredInstanceCount: number }[];
  /** Not part of DescribeEndpoint: where the current deployment serves. */
  deployment?: { server: ServerHandle; dir: string };
}

export interface HostingOptions {
  dir: string;
  region: string;
  s3: S3Client;
  /** How long a new deployment may take to answer /ping (SageMaker: 4 minutes). */
  healthCheckSeconds?: number;
}

type Kind = 'models' | 'endpoint-configs' | 'endpoints';

const sameServer = (a: ServerHandle, b: ServerHandle): boolean =>
  a.kind === 'docker' && b.kind === 'docker'
    ? a.container === b.container
    : a.kind === 'process' && b.kind === 'process' && a.pid === b.pid;

export class Hosting {
  private readonly servers = new Map<string, RunningServer>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: HostingOptions) {}

  private arn(kind: string, name: string): string {
    return `arn:aws:sagemaker:${this.options.region}:${ACCOUNT}:${kind}/${name.toLowerCase()}`;
  }

  private file(kind: Kind, name: string): string {
    return pathInside(join(this.options.dir, kind), `${name}.json`);
  }

  private async load<T>(kind: Kind, name: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.file(kind, name), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  private async save(kind: Kind, name: string, value: unknown): Promise<void> {
    await mkdir(join(this.options.dir, kind), { recursive: true });
    await writeFileAtomic(this.file(kind, name), `${JSON.stringify(value, null, 2)}\n`);
  }

  private async names(kind: Kind): Promise<string[]> {
    const files = await readdir(join(this.options.dir, kind)).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  }

  private background(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  operations(): Record<string, Operation> {
    return {
      CreateModel: (input) => this.createModel(input),
      DescribeModel: async (input) =>
        this.mustLoad<Model>('models', resourceName(input, 'ModelName'), 'Could not find model'),
      DeleteModel: (input) => this.remove('models', resourceName(input, 'ModelName'), 'Could not find model'),
      CreateEndpointConfig: (input) => this.createEndpointConfig(input),
      DescribeEndpointConfig: async (input) =>
        this.mustLoad<EndpointConfig>(
          'endpoint-configs',
          resourceName(input, 'EndpointConfigName'),
          'Could not find endpoint configuration',
        ),
      DeleteEndpointConfig: (input) =>
        this.remove(
          'endpoint-configs',
          resourceName(input, 'EndpointConfigName'),
          'Could not find endpoint configuration',
        ),
      CreateEndpoint: (input) => this.createEndpoint(input),
      DescribeEndpoint: async (input) => {
        const { deployment: _internal, ...visible } = await this.mustLoad<Endpoint>(
          'endpoints',
          resourceName(input, 'EndpointName'),
          'Could not find endpoint',
        );
        return visible;
      },
      UpdateEndpoint: (input) => this.updateEndpoint(input),
      DeleteEndpoint: (input) => this.deleteEndpoint(input),
      ListModels: async () => ({
        Models: (await this.loadAll<Model>('models')).map(({ ModelName, ModelArn, CreationTime }) => ({
          ModelName,
          ModelArn,
          CreationTime,
        })),
      }),
      ListEndpointConfigs: async () => ({
        EndpointConfigs: (await this.loadAll<EndpointConfig>('endpoint-configs')).map(
          ({ EndpointConfigName, EndpointConfigArn, CreationTime }) => ({
            EndpointConfigName,
            EndpointConfigArn,
            CreationTime,
          }),
        ),
      }),
      ListEndpoints: async () => {
        const endpoints = await Promise.all(
          (await this.names('endpoints')).map((n) => this.load<Endpoint>('endpoints', n)),
        );
        return {
          Endpoints: endpoints
            .filter((e): e is Endpoint => e !== undefined)
            .map(({ EndpointName, EndpointArn, EndpointStatus, CreationTime, LastModifiedTime }) => ({
              EndpointName,
              EndpointArn,
              EndpointStatus,
              CreationTime,
              LastModifiedTime,
            })),
        };
      },
    };
  }

  /** Every resource of a kind, newest first, as the List calls return them. */
  private async loadAll<T extends { CreationTime: number }>(kind: Kind): Promise<T[]> {
    const all = await Promise.all((await this.names(kind)).map((name) => this.load<T>(kind, name)));
    return all
      .filter((item): item is Awaited<T> & T => item !== undefined)
      .sort((a, b) => b.CreationTime - a.CreationTime);
  }

  private async mustLoad<T>(kind: Kind, name: string, message: string): Promise<T> {
    const value = await this.load<T>(kind, name);
    // SageMaker answers a missing model, config or endpoint with a ValidationException.
    if (!value) throw validation(`${message} "${this.arn(kind.replace(/s$/, ''), name)}".`);
    return value;
  }

  private async remove(kind: Kind, name: string, message: string): Promise<Record<string, never>> {
    await this.mustLoad(kind, name, message);
    await rm(this.file(kind, name), { force: true });
    return {};
  }

  private async createModel(input: Input): Promise<{ ModelArn: string }> {
    const name = resourceName(input, 'ModelName');
    const role = required<string>(input, 'ExecutionRoleArn', 'string');
    const container = required<Model['PrimaryContainer']>(input, 'PrimaryContainer', 'object');
    required<string>(container, 'Image', 'string');
    const data = field<string>(container, 'ModelDataUrl', 'string');
    if (data !== undefined && !/^(https|s3):\/\/([^/]+)\/?(.*)$/.test(data))
      throw validation(`ModelDataUrl must be an s3:// URI: ${data}`);
    if (await this.load('models', name))
      throw validation(`Cannot create already existing model "${this.arn('model', name)}".`);
    const model: Model = {
      ModelName: name,
      ModelArn: this.arn('model', name),
      ExecutionRoleArn: role,
      PrimaryContainer: container,
      CreationTime: epochSeconds(),
    };
    await this.save('models', name, model);
    return { ModelArn: model.ModelArn };
  }

  private async createEndpointConfig(input: Input): Promise<{ EndpointConfigArn: string }> {
    const name = resourceName(input, 'EndpointConfigName');
    const variants = required<Variant[]>(input, 'ProductionVariants', 'array');
    if (variants.length === 0) throw validation('ProductionVariants must hold at least one variant');
    for (const variant of variants) {
      resourceName(variant as unknown as Input, 'VariantName');
      const model = resourceName(variant as unknown as Input, 'ModelName');
      if (!(await this.load('models', model)))
        throw validation(`Could not find model "${this.arn('model', model)}".`);
    }
    if (await this.load('endpoint-configs', name)) {
      throw validation(
        `Cannot create already existing endpoint configuration "${this.arn('endpoint-config', name)}".`,
      );
    }
    const config: EndpointConfig = {
      EndpointConfigName: name,
      EndpointConfigArn: this.arn('endpoint-config', name),
      ProductionVariants: variants,
      CreationTime: epochSeconds(),
    };
    await this.save('endpoint-configs', name, config);
    return { EndpointConfigArn: config.EndpointConfigArn };
  }

  private async createEndpoint(input: Input): Promise<{ EndpointArn: string }> {
    const name = resourceName(input, 'EndpointName');
    const configName = resourceName(input, 'EndpointConfigName');
    const config = await this.mustLoad<EndpointConfig>(
      'endpoint-configs',
      configName,
      'Could not find endpoint configuration',
    );
    if (await this.load('endpoints', name))
      throw validation(`Cannot create already existing endpoint "${this.arn('endpoint', name)}".`);
    const now = epochSeconds();
    const endpoint: Endpoint = {
      EndpointName: name,
      EndpointArn: this.arn('endpoint', name),
      EndpointConfigName: configName,
      EndpointStatus: 'Creating',
      CreationTime: now,
      LastModifiedTime: now,
    };
    await this.save('endpoints', name, endpoint);
    this.background(this.deploy(endpoint, config));
    return { EndpointArn: endpoint.EndpointArn };
  }

  private async updateEndpoint(input: Input): Promise<{ EndpointArn: string }> {
    const name = resourceName(input, 'EndpointName');
    const endpoint = await this.mustLoad<Endpoint>('endpoints', name, 'Could not find endpoint');
    const configName = resourceName(input, 'EndpointConfigName');
    const config = await this.mustLoad<EndpointConfig>(
      'endpoint-configs',
      configName,
      'Could not find endpoint configuration',
    );
    if (endpoint.EndpointStatus !== 'InService' && endpoint.EndpointStatus !== 'Failed') {
      throw validation(`Cannot update in-progress endpoint "${endpoint.EndpointArn}".`);
    }
    endpoint.EndpointStatus = 'Updating';
    endpoint.EndpointConfigName = configName;
    endpoint.LastModifiedTime = epochSeconds();
    await this.save('endpoints', name, endpoint);
    this.background(this.deploy(endpoint, config));
    return { EndpointArn: endpoint.EndpointArn };
  }

  private async deleteEndpoint(input: Input): Promise<Record<string, never>> {
    const name = resourceName(input, 'EndpointName');
    const endpoint = await this.mustLoad<Endpoint>('endpoints', name, 'Could not find endpoint');
    await this.stopDeployment(name, endpoint.deployment);
    this.servers.delete(name);
    await rm(this.file('endpoints', name), { force: true });
    return {};
  }

  /** Downloads and unpacks the model, serves it, waits for /ping, then switches the endpoint to it. */
  private async deploy(endpoint: Endpoint, config: EndpointConfig): Promise<void> {
    const name = endpoint.EndpointName;
    const variant = config.ProductionVariants[0] as Variant;
    const dir = join(this.options.dir, 'deployments', name, `${Date.now()}`);
    let server: RunningServer | undefined;
    try {
      const model = await this.mustLoad<Model>('models', variant.ModelName, 'Could not find model');
      const modelDir = join(dir, 'model');
      await mkdir(modelDir, { recursive: true });
      if (model.PrimaryContainer.ModelDataUrl)
        await this.unpackModel(model.PrimaryContainer.ModelDataUrl, dir, modelDir);
      const { image } = imageFor(model.PrimaryContainer.Image);
      server = await runtimeFor(image).serve({
        image,
        modelDir,
        port: await freePort(),
        ...(model.PrimaryContainer.Environment ? { env: model.PrimaryContainer.Environment } : {}),
        log: () => undefined,
        detachedLogFile: join(dir, 'serve.log'),
      });
      await waitForPing(server, this.options.healthCheckSeconds ?? 240);
    } catch (error) {
      await server?.stop(5);
      const log = await readFile(join(dir, 'serve.log'), 'utf8').catch(() => '');
      const current = (await this.load<Endpoint>('endpoints', name)) ?? endpoint;
      current.EndpointStatus = 'Failed';
      current.FailureReason =
        `The primary container for production variant ${variant.VariantName} did not pass the ping health check: ${(error as Error).message}${log ? `\n${log.trim().split('\n').slice(-5).join('\n')}` : ''}`.slice(
          0,
          1024,
        );
      current.LastModifiedTime = epochSeconds();
      await this.save('endpoints', name, current);
      return;
    }
    const current = await this.load<Endpoint>('endpoints', name);
    if (!current) {
      // Deleted while this deployment was starting: it must not bring the endpoint back.
      await server.stop(5);
      return;
    }
    const previous = current.deployment;
    current.deployment = { server: server.handle, dir };
    current.EndpointStatus = 'InService';
    delete current.FailureReason;
    current.ProductionVariants = [
      {
        VariantName: variant.VariantName,
        CurrentInstanceCount: variant.InitialInstanceCount ?? 1,
        DesiredInstanceCount: variant.InitialInstanceCount ?? 1,
      },
    ];
    current.LastModifiedTime = epochSeconds();
    await this.save('endpoints', name, current);
    // The new deployment takes requests from here on; the old one drains and stops.
    if (previous) await this.stopDeployment(name, previous);
    this.servers.set(name, server);
  }

  private async unpackModel(uri: string, dir: string, modelDir: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const archive = join(dir, 'model.tar.gz');
    const body = (await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))
      .Body as Readable;
    await pipeline(body, createWriteStream(archive));
    await pipeline(createReadStream(archive), extract({ cwd: modelDir }));
  }

  /** Stops a deployment's server (the one this process follows, or found again by its handle). */
  private async stopDeployment(name: string, deployment: Endpoint['deployment']): Promise<void> {
    if (!deployment) return;
    const tracked = this.servers.get(name);
    const server =
      tracked && sameServer(tracked.handle, deployment.server)
        ? tracked
        : await runtimeOfServer(deployment.server).reattach(deployment.server);
    await server?.stop(30);
    await rm(deployment.dir, { recursive: true, force: true });
  }

  /** The URL of the endpoint's serving container, for InvokeEndpoint; undefined unless InService. */
  async serverUrl(name: string): Promise<string | undefined | null> {
    const endpoint = await this.load<Endpoint>('endpoints', name);
    if (!endpoint) return null;
    if (endpoint.EndpointStatus !== 'InService' && endpoint.EndpointStatus !== 'Updating') return undefined;
    return endpoint.deployment ? `http://127.0.0.1:${endpoint.deployment.server.port}` : undefined;
  }

  /** Endpoints whose server died while no local SageMaker watched: Failed, with the reason. */
  async reconcile(): Promise<void> {
    for (const name of await this.names('endpoints')) {
      const endpoint = await this.load<Endpoint>('endpoints', name);
      if (!endpoint) continue;
      const handle = endpoint.deployment?.server;
      const server = handle && (await runtimeOfServer(handle).reattach(handle));
      if (server) {
        this.servers.set(name, server);
        if (endpoint.EndpointStatus === 'InService') continue;
      }
      if (
        endpoint.EndpointStatus === 'InService' ||
        endpoint.EndpointStatus === 'Creating' ||
        endpoint.EndpointStatus === 'Updating'
      ) {
        endpoint.EndpointStatus = 'Failed';
        endpoint.FailureReason =
          'The serving container is gone: it stopped while no local SageMaker was watching it.';
        endpoint.LastModifiedTime = epochSeconds();
        await this.save('endpoints', name, endpoint);
      }
    }
  }

  /** Waits for deployments in progress (the server is closing). Endpoints keep serving. */
  async idle(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
