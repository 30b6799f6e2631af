// Where an invocation goes: an endpoint's variant chosen by weight (or the TargetVariant asked
// for), and for a serverless variant its concurrency counted, its first request starting its
// server and the requests that arrive meanwhile waiting for that same start.
import type { RunningServer, ServerHandle } from '../../runtimes/container-runtime.js';
import type { ResourceStore } from '../protocol/resource-store.js';
import type { AsyncInferenceConfig, Endpoint, HostingKind, ServingVariant } from './hosting-resources.js';

/** Where an InvokeEndpoint goes: a variant's server, or why there is none. */
export type Route =
  | {
      kind: 'serve';
      url: string;
      variant: string;
      /** The instance's server that takes it: replaced if it turns out gone. */
      server: ServerHandle;
      /** How many instances serve the variant. */
      instances: number;
      /** Called when the request is answered: a serverless variant counts requests in flight. */
      done: () => void;
      asyncInference?: AsyncInferenceConfig;
    }
  | { kind: 'missing' }
  | { kind: 'throttled'; maxConcurrency: number }
  | { kind: 'cold-start-failed'; reason: string }
  | { kind: 'not-in-service'; status: string }
  | { kind: 'unknown-variant'; variants: string[] };

/** One variant of one endpoint, whatever the case of the endpoint's name. */
export const variantKey = (endpoint: string, variant: string): string =>
  `${endpoint.toLowerCase()}/${variant}`;

/** What routing asks of the hosting engine: a variant's server started, and recorded. */
export interface ServingEngine {
  startVariant(variant: ServingVariant): Promise<RunningServer>;
  /** Records a server in its endpoint; false when the endpoint changed and the server was stopped. */
  adopt(name: string, variant: ServingVariant, server: RunningServer): Promise<boolean>;
  /** Runs `work` after the answer, followed until it ends. */
  background(work: Promise<void>): void;
}

export class EndpointRouter {
  /** Serverless variants: requests in flight, and servers being started by a first request. */
  private readonly inFlight = new Map<string, number>();
  private readonly coldStarts = new Map<string, Promise<ServerHandle>>();

  constructor(
    private readonly engine: ServingEngine,
    private readonly store: ResourceStore<HostingKind>,
  ) {}

  /** Where an invocation goes: the TargetVariant, or a variant chosen by weight. */
  async route(name: string, targetVariant?: string): Promise<Route> {
    const endpoint = await this.store.load<Endpoint>('endpoints', name);
    if (!endpoint) return { kind: 'missing' };
    const variants = endpoint.deployment?.variants ?? [];
    if (!['InService', 'Updating'].includes(endpoint.EndpointStatus) || variants.length === 0)
      return { kind: 'not-in-service', status: endpoint.EndpointStatus };
    let chosen: ServingVariant | undefined;
    if (targetVariant !== undefined) {
      chosen = variants.find((variant) => variant.name === targetVariant);
      if (!chosen) return { kind: 'unknown-variant', variants: variants.map((variant) => variant.name) };
    } else {
      const weights = variants.map(
        (variant) =>
          endpoint.ProductionVariants?.find((v) => v.VariantName === variant.name)?.CurrentWeight ?? 1,
      );
      // A variant of weight 0 gets no request but those that name it.
      let pick = Math.random() * weights.reduce((sum, weight) => sum + weight, 0);
      chosen =
        variants.find((_, index) => {
          pick -= weights[index] as number;
          return pick < 0;
        }) ?? variants.findLast((_, index) => (weights[index] as number) > 0);
      if (!chosen) return { kind: 'not-in-service', status: endpoint.EndpointStatus };
    }
    const variant = chosen as ServingVariant;
    const asyncInference = endpoint.deployment?.asyncInference;
    if (!variant.serverless) {
      // One of its instances, at random: SageMaker's default routing (RoutingStrategy RANDOM).
      const server = variant.servers[Math.floor(Math.random() * variant.servers.length)];
      if (!server) return { kind: 'not-in-service', status: endpoint.EndpointStatus };
      return {
        kind: 'serve',
        url: `http://127.0.0.1:${server.port}`,
        variant: variant.name,
        server,
        instances: variant.servers.length,
        done: () => undefined,
        ...(asyncInference ? { asyncInference } : {}),
      };
    }
    const key = variantKey(name, variant.name);
    const inFlight = this.inFlight.get(key) ?? 0;
    if (inFlight >= variant.serverless.maxConcurrency)
      return { kind: 'throttled', maxConcurrency: variant.serverless.maxConcurrency };
    this.inFlight.set(key, inFlight + 1);
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    };
    try {
      const handle = variant.servers[0] ?? (await this.coldStart(name, variant));
      return {
        kind: 'serve',
        url: `http://127.0.0.1:${handle.port}`,
        variant: variant.name,
        server: handle,
        instances: 1,
        done,
      };
    } catch (error) {
      done();
      return { kind: 'cold-start-failed', reason: (error as Error).message };
    }
  }

  /**
   * The first request to a serverless variant starts its server; requests that arrive meanwhile
   * wait for the same start. The server is recorded in the endpoint and stays warm.
   */
  private coldStart(name: string, variant: ServingVariant): Promise<ServerHandle> {
    const key = variantKey(name, variant.name);
    const starting = this.coldStarts.get(key);
    if (starting) return starting;
    const start = (async () => {
      const server = await this.engine.startVariant(variant);
      if (!(await this.engine.adopt(name, variant, server)))
        throw new Error(`Endpoint ${name} changed while its serverless variant was starting.`);
      return server.handle;
    })().finally(() => this.coldStarts.delete(key));
    this.coldStarts.set(key, start);
    this.engine.background(
      start.then(
        () => undefined,
        () => undefined,
      ),
    );
    return start;
  }
}
