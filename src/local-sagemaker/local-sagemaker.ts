// The local SageMaker: one HTTP server speaking the SageMaker API's wire protocol (and the
// CloudWatch Logs calls the stages use), with a local S3 beside it. Any AWS client can use it
// through --endpoint-url; its state lives on disk under its data folder.

import { realpath } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { loadServiceModel } from '../shared/service-model.js';
import { serviceUrl } from '../shared/service-url.js';
import { ecrOperations } from './ecr/ecr-operations.js';
import { IDENTITY_PATH, type LocalSageMakerIdentity } from './identity.js';
import { logOperations } from './logs/logs.js';
import { createJsonServer, type JsonService, type Operation, sendJson } from './protocol/json-service.js';
import type { AccessKey } from './protocol/sigv4.js';
import { StatusFeed } from './protocol/status-feed.js';
import { AsyncInvocations } from './runtime/async-inference.js';
import { invokeEndpointRoute } from './runtime/invoke-endpoint.js';
import { type LocalS3, startLocalS3 } from './s3/local-s3.js';
import type { FileImagePolicy } from './sagemaker/file-images.js';
import { Hosting } from './sagemaker/hosting.js';
import { ModelPackages } from './sagemaker/model-packages.js';
import { ProcessingJobs } from './sagemaker/processing-jobs.js';
import { refuseReservedTags, TagStore } from './sagemaker/tags.js';
import { TrainingJobs } from './sagemaker/training-jobs.js';
import { TransformJobs } from './sagemaker/transform-jobs.js';
import { TuningJobs } from './sagemaker/tuning-jobs.js';

export interface LocalSageMakerOptions {
  /** .pipeline/local: s3/ holds the S3 data, sagemaker/ the jobs and endpoints. */
  dataDir: string;
  port?: number;
  s3Port?: number;
  /** The address both servers listen on: 127.0.0.1 unless a team shares the server. */
  host?: string;
  region?: string;
  stopGraceSeconds?: number;
  healthCheckSeconds?: number;
  /** host:port of a local OCI registry that backs the ECR calls. */
  registry?: string;
  /**
   * Answered at GET /_pipeline/identity with the data folder and pid, so that a CLI adopts (or
   * signals) this server only when it is the one its server.json describes: not the original's
   * server in a copied project, not another program on a reused port or pid.
   */
  identityToken?: string;
  /**
   * The key pairs every request to it and to its S3 must be signed with (SigV4); the first is
   * the one it uses itself on its S3.
   */
  keys: readonly [AccessKey, ...AccessKey[]];
  /** Which file:// images it runs, as processes of its owner; none when absent. */
  fileImages?: FileImagePolicy;
}

export interface LocalSageMaker {
  endpoint: string;
  s3Endpoint: string;
  region: string;
  registry?: string;
  trainingJobs: TrainingJobs;
  hosting: Hosting;
  /** The JSON services it answers, with their AWS models: the API coverage table reads them. */
  services: readonly JsonService[];
  /** Stops the server; running endpoints keep serving and a later server finds them again. */
  close(): Promise<void>;
}

/** Every operation that takes Tags refuses reserved ones before it creates anything. */
function refusingReservedTags(operations: Record<string, Operation>): Record<string, Operation> {
  return Object.fromEntries(
    Object.entries(operations).map(([name, operation]) => [
      name,
      Object.assign(
        (input: Record<string, unknown>) => {
          refuseReservedTags(input.Tags);
          return operation(input);
        },
        { honoured: operation.honoured },
      ),
    ]),
  );
}

export async function startLocalSageMaker(options: LocalSageMakerOptions): Promise<LocalSageMaker> {
  const region = options.region ?? 'us-east-1';
  const s3Server: LocalS3 = await startLocalS3(
    join(options.dataDir, 's3'),
    options.keys,
    options.s3Port,
    options.host,
  );
  // Its containers carry the data folder as it is on disk, as `pipeline destroy` will look for it.
  const dataDir = await realpath(options.dataDir);
  const s3 = new S3Client({
    endpoint: s3Server.endpoint,
    region,
    forcePathStyle: true,
    credentials: options.keys[0],
  });
  // Tags of every kind of resource, by ARN; an ARN counts when a job or a hosting resource has it.
  const tags: TagStore = new TagStore(
    join(options.dataDir, 'sagemaker', 'tags'),
    async (arn): Promise<boolean> =>
      (await hosting.arnExists(arn)) ||
      (await trainingJobs.arnExists(arn)) ||
      (await processingJobs.arnExists(arn)) ||
      (await modelPackages.arnExists(arn)) ||
      (await transformJobs.arnExists(arn)) ||
      (await tuningJobs.arnExists(arn)),
  );
  // What every kind of job runs with: its S3, its file:// images, its owner label, its stop grace.
  const statusFeed = new StatusFeed();
  const jobs = {
    tags,
    statusFeed,
    owner: dataDir,
    region,
    s3,
    objects: s3Server.objects,
    fileImages: options.fileImages ?? { roots: [] },
    ...(options.stopGraceSeconds !== undefined ? { stopGraceSeconds: options.stopGraceSeconds } : {}),
  };
  const trainingJobs = new TrainingJobs({
    ...jobs,
    dir: join(options.dataDir, 'sagemaker', 'training-jobs'),
  });
  await trainingJobs.reconcile();
  const tuningJobs = new TuningJobs({
    tags,
    statusFeed,
    region,
    training: trainingJobs,
    dir: join(options.dataDir, 'sagemaker', 'tuning-jobs'),
  });
  await tuningJobs.reconcile();
  const processingJobs = new ProcessingJobs({
    ...jobs,
    dir: join(options.dataDir, 'sagemaker', 'processing-jobs'),
  });
  await processingJobs.reconcile();
  const modelPackages = new ModelPackages({
    tags,
    region,
    dir: join(options.dataDir, 'sagemaker', 'registry'),
  });
  const hosting: Hosting = new Hosting({
    tags,
    statusFeed,
    dir: join(options.dataDir, 'sagemaker', 'hosting'),
    owner: dataDir,
    region,
    s3,
    objects: s3Server.objects,
    fileImages: options.fileImages ?? { roots: [] },
    ...(options.healthCheckSeconds !== undefined ? { healthCheckSeconds: options.healthCheckSeconds } : {}),
  });
  await hosting.reconcile();
  const transformJobs = new TransformJobs({
    statusFeed,
    dir: join(options.dataDir, 'sagemaker', 'transform-jobs'),
    region,
    s3,
    tags,
    owner: dataDir,
    models: hosting,
  });
  await transformJobs.reconcile();
  const identity: LocalSageMakerIdentity = {
    service: 'pipeline-local-sagemaker',
    dataDir,
    pid: process.pid,
    token: options.identityToken ?? null,
    region,
    registry: options.registry ?? null,
  };
  const [sagemakerModel, logsModel, ecrModel] = await Promise.all([
    loadServiceModel('sagemaker'),
    loadServiceModel('logs'),
    loadServiceModel('ecr'),
  ]);
  const invokeRoute = invokeEndpointRoute(hosting, region);
  const asyncInvocations = new AsyncInvocations(hosting, s3, region);
  const asyncRoute = asyncInvocations.route();
  const services: JsonService[] = [
    {
      title: 'the local SageMaker',
      model: sagemakerModel,
      invalidRequest: 'ValidationException',
      operations: refusingReservedTags({
        ...trainingJobs.operations(),
        ...tuningJobs.operations(),
        ...processingJobs.operations(),
        ...modelPackages.operations(),
        ...transformJobs.operations(),
        ...hosting.operations(),
        ...tags.operations(),
      }),
    },
    {
      title: 'the local CloudWatch Logs',
      model: logsModel,
      invalidRequest: 'InvalidParameterException',
      operations: logOperations(
        async () => [
          ...(await trainingJobs.logStreams()),
          ...(await processingJobs.logStreams()),
          ...(await transformJobs.logStreams()),
          ...(await hosting.logStreams()),
        ],
        region,
      ),
    },
    {
      title: 'the local ECR',
      model: ecrModel,
      invalidRequest: 'InvalidParameterException',
      operations: ecrOperations({
        file: join(options.dataDir, 'ecr', 'repositories.json'),
        region,
        ...(options.registry ? { registry: options.registry } : {}),
      }),
    },
  ];
  const server = createJsonServer(services, {
    keys: options.keys,
    // Asked before a CLI knows whether this is its daemon (and so has its keys): it tells who it
    // is and nothing else.
    open: (request, response) => {
      if (request.method !== 'GET' || request.url !== IDENTITY_PATH) return false;
      sendJson(response, 200, identity);
      return true;
    },
    fallback: async (request, response, body) =>
      (await statusFeed.answer(request, response)) ||
      (await invokeRoute(request, response, body)) ||
      asyncRoute(request, response),
  });
  // Clients keep connections open between calls (the SDK's agent does not read Keep-Alive hints):
  // closing an idle one after node's 5 s default races with its reuse and resets a call, which
  // AWS's endpoints, keeping them far longer, do not do.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: serviceUrl(options.host ?? '127.0.0.1', port),
    s3Endpoint: s3Server.endpoint,
    region,
    ...(options.registry ? { registry: options.registry } : {}),
    trainingJobs,
    hosting,
    services,
    close: async () => {
      // Tuning jobs first: they would otherwise see their training jobs end and launch others.
      tuningJobs.stopAll();
      trainingJobs.stopAll();
      processingJobs.stopAll();
      transformJobs.stopAll();
      await Promise.all([
        tuningJobs.idle(),
        trainingJobs.idle(),
        processingJobs.idle(),
        transformJobs.idle(),
      ]);
      hosting.stopWatching();
      await hosting.idle();
      await asyncInvocations.idle();
      statusFeed.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      s3.destroy();
      await s3Server.close();
      hosting.release();
    },
  };
}
