// The local SageMaker a pipeline on target local talks to: its own background daemon (under
// .pipeline/local, started on first use), or one a team or a CI job runs for every clone
// (`local.endpoint`, a `pipeline local serve`), which a clone never starts or stops. The SDK
// connection, the state backend and the drift checks reach either through here alike.
import { dirname, resolve } from 'node:path';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { IDENTITY_PATH, type LocalSageMakerIdentity } from '../local-sagemaker/identity.js';
import { httpRequest } from '../shared/http-request.js';
import { pipelinePaths } from '../shared/pipeline-paths.js';
import type { AccessKey } from '../shared/sigv4.js';

/** How to reach a local SageMaker and its S3, and the key pair its requests are signed with. */
export interface LocalSageMakerAccess {
  endpoint: string;
  s3Endpoint: string;
  region: string;
  registry: string | null;
  credentials: AccessKey;
  /** A shared one (local.endpoint): this clone neither starts nor stops it. */
  shared: boolean;
}

/** The pipeline's local SageMaker: the shared one, or its own, started (or restarted with this config's settings) if need be. */
export async function ensureLocalSageMakerOf(
  config: PipelineConfig,
  stateDir: string,
): Promise<LocalSageMakerAccess> {
  if (config.local.endpoint) return reachShared(config);
  const { ensureLocalDaemon } = await import('../local-sagemaker/daemon.js');
  const daemon = await ensureLocalDaemon({
    dataDir: pipelinePaths.localSageMaker(stateDir),
    region: config.aws.region ?? 'us-east-1',
    // The process runtime's images: the project's folders, and its build context wherever it is.
    fileImageRoots: [dirname(stateDir), resolve(dirname(stateDir), config.image.context)],
    ...(config.local.registry ? { registry: config.local.registry } : {}),
  });
  return { ...daemon, shared: false };
}

/**
 * The pipeline's local SageMaker if it runs (its own answering within 2 s); never starts one. A
 * shared one is asked as any remote service is.
 */
export async function findLocalSageMakerOf(
  config: PipelineConfig,
  stateDir: string,
): Promise<LocalSageMakerAccess | undefined> {
  if (config.local.endpoint) return reachShared(config);
  const { findLocalDaemonWithKey } = await import('../local-sagemaker/daemon.js');
  const daemon = await findLocalDaemonWithKey(pipelinePaths.localSageMaker(stateDir), 2);
  return daemon ? { ...daemon, shared: false } : undefined;
}

const withoutSlash = (url: string): string => url.replace(/\/+$/, '');

/** Thrown when the shared local SageMaker cannot be used as configured: the message says why. */
export class SharedLocalSageMakerError extends Error {}

const reached = new Map<string, Promise<LocalSageMakerAccess>>();

/** The shared local SageMaker of local.endpoint, checked once per CLI run. */
function reachShared(config: PipelineConfig): Promise<LocalSageMakerAccess> {
  const key = JSON.stringify([config.local, config.aws.region]);
  let access = reached.get(key);
  if (!access) {
    access = checkShared(config);
    reached.set(key, access);
    access.catch(() => reached.delete(key));
  }
  return access;
}

async function checkShared(config: PipelineConfig): Promise<LocalSageMakerAccess> {
  const endpoint = withoutSlash(config.local.endpoint as string);
  // check-semantics refuses one URL without the other.
  const s3Endpoint = withoutSlash(config.local.s3Endpoint as string);
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
  if (!accessKeyId || !secretAccessKey)
    throw new SharedLocalSageMakerError(
      `the shared local SageMaker (local.endpoint ${endpoint}) accepts requests signed with its own key pair: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the pair its \`pipeline local serve\` was started with`,
    );
  const identity = await identify(endpoint);
  if (config.aws.region && config.aws.region !== identity.region)
    throw new SharedLocalSageMakerError(
      `aws.region is ${config.aws.region}, but the shared local SageMaker at ${endpoint} serves ${identity.region}: set aws.region to ${identity.region}, or remove it`,
    );
  if ((config.local.registry ?? null) !== identity.registry)
    throw new SharedLocalSageMakerError(
      identity.registry === null
        ? `local.registry is ${config.local.registry}, but the shared local SageMaker at ${endpoint} has no registry behind its ECR: remove local.registry, or start it with --registry`
        : `the shared local SageMaker at ${endpoint} pulls images from the registry ${identity.registry}: set local.registry to ${identity.registry}, so that the push stage pushes there`,
    );
  return {
    endpoint,
    s3Endpoint,
    region: identity.region,
    registry: identity.registry,
    credentials: { accessKeyId, secretAccessKey },
    shared: true,
  };
}

/** Asks the server who it is: a `pipeline local serve` answers with its region and registry. */
async function identify(endpoint: string): Promise<LocalSageMakerIdentity> {
  let answer: Awaited<ReturnType<typeof httpRequest>>;
  try {
    answer = await httpRequest(`${endpoint}${IDENTITY_PATH}`, { timeoutMs: 5000, deadlineMs: 10_000 });
  } catch (error) {
    throw new SharedLocalSageMakerError(
      `the shared local SageMaker at ${endpoint} (local.endpoint) does not answer: ${(error as Error).message}. Is its \`pipeline local serve\` running?`,
    );
  }
  let identity: Partial<LocalSageMakerIdentity> | undefined;
  try {
    identity = JSON.parse(answer.text) as Partial<LocalSageMakerIdentity>;
  } catch {
    identity = undefined;
  }
  if (
    answer.status !== 200 ||
    identity?.service !== 'pipeline-local-sagemaker' ||
    typeof identity.region !== 'string'
  )
    throw new SharedLocalSageMakerError(
      `${endpoint} (local.endpoint) answers, but not as a \`pipeline local serve\` of this version does (GET ${IDENTITY_PATH}: status ${answer.status}): point local.endpoint at the URL \`pipeline local serve\` prints`,
    );
  return identity as LocalSageMakerIdentity;
}
