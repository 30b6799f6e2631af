// The drift checks of the stages that make remote resources: one look each, taken before a stage
// is skipped as up to date, saying what no longer holds. Something deleted or changed outside
// pipeline (in the console, by a teammate, by a `destroy` elsewhere) makes its stage stale
// instead of being reported as up to date.
//
// The looks go through the AWS SDK on AWS (which signs them), and as plain HTTP calls to the
// local SageMaker, S3 and ECR on target local, which take unsigned calls: a no-op run there does
// not load the SDK at all (half a second of start-up per client on this project's machine).
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { httpRequest } from '../shared/http-request.js';
import { signedHeaders } from '../shared/sigv4.js';
import { type ChannelReceipt, remoteDigestOf } from './channel-receipts.js';
import type { DriftLooks } from './drift-looks.js';
import { parseListBucketResult } from './list-bucket-result.js';
import { listInRanges, type RemoteObject } from './listing-ranges.js';
import type { LocalSageMakerAccess } from './local-sagemaker-of.js';

/**
 * Is the endpoint there, in service, and serving the deployment the state names (or, for a gated
 * deploy, the config that holds it as a candidate beside the champion: `alsoServes`)?
 */
export async function endpointDrift(
  looks: DriftLooks,
  endpointName: string,
  deploymentName: string,
  alsoServes?: string,
): Promise<string | undefined> {
  const endpoint = await looks.describeEndpoint(endpointName);
  if (!endpoint) return `endpoint ${endpointName} no longer exists`;
  if (endpoint.EndpointStatus !== 'InService') {
    const why = endpoint.FailureReason ? ` (${endpoint.FailureReason})` : '';
    return `endpoint ${endpointName} is ${endpoint.EndpointStatus ?? 'in no known state'}${why}`;
  }
  if (endpoint.EndpointConfigName !== deploymentName && endpoint.EndpointConfigName !== alsoServes) {
    return `endpoint ${endpointName} serves ${endpoint.EndpointConfigName}, not ${deploymentName}`;
  }
  return undefined;
}

/** Does the training job still exist, completed, with its model artifact in S3? */
export async function trainingDrift(
  looks: DriftLooks,
  jobName: string,
  modelArtifact: string,
): Promise<string | undefined> {
  const job = await looks.describeTrainingJob(jobName);
  if (!job) return `training job ${jobName} no longer exists`;
  if (job.TrainingJobStatus !== 'Completed') return `training job ${jobName} is ${job.TrainingJobStatus}`;
  const artifact = /^s3:\/\/([^/]+)\/(.+)$/.exec(modelArtifact);
  if (artifact && !(await looks.objectExists(artifact[1] as string, artifact[2] as string)))
    return `the model artifact ${modelArtifact} no longer exists`;
  return undefined;
}

/**
 * Are a channel's objects as its last upload left them? The upload's receipt holds a digest of
 * every object's key, ETag and size under the prefix: one listing of it tells a deletion, a
 * replacement or an addition behind the pipeline's back (at 100,000 objects, 100 pages). Without a
 * receipt (an upload by an older version), an empty prefix is all it can tell.
 */
export async function channelDrift(
  looks: DriftLooks,
  s3Uri: string,
  receipt: Pick<ChannelReceipt, 'remoteDigest' | 'rangeBounds'> | undefined,
  /** What left the objects there, for the message. */
  leftBy = 'the last upload',
): Promise<string | undefined> {
  const location = /^s3:\/\/([^/]+)\/(.*)$/.exec(s3Uri);
  if (!location) return undefined;
  const objects = await looks.listPrefix(location[1] as string, location[2] as string, receipt?.rangeBounds);
  if (objects.length === 0) return `no objects are left under ${s3Uri}`;
  if (receipt !== undefined && remoteDigestOf(objects) !== receipt.remoteDigest)
    return `the objects under ${s3Uri} are not as ${leftBy} left them (changed, added or deleted outside pipeline)`;
  return undefined;
}

/** Is the pushed image (REPO@sha256:...) still in its repository? */
export async function imageDrift(looks: DriftLooks, imageUri: string): Promise<string | undefined> {
  const pushed = /^[^/]+\/(.+)@(sha256:[0-9a-f]{64})$/.exec(imageUri);
  if (!pushed) return undefined;
  return (await looks.imageExists(pushed[1] as string, pushed[2] as string))
    ? undefined
    : `the image ${imageUri} is no longer in its repository`;
}

/**
 * The looks for this config's target, or undefined when a check cannot be made without starting
 * the local SageMaker and `mayStart` is false (`plan`, `status`).
 */
export async function driftLooksFor(
  config: PipelineConfig,
  stateDir: string,
  mayStart: boolean,
): Promise<DriftLooks | undefined> {
  if (config.target === 'local') {
    // One daemon, found (or started) once for every check of the run: each check asking it who
    // it is again would cost a round trip each.
    const key = `${stateDir}\0${config.aws.region ?? ''}\0${JSON.stringify(config.local)}\0${mayStart}`;
    let found = localSageMakers.get(key);
    if (!found) {
      found = findLocal(config, stateDir, mayStart);
      localSageMakers.set(key, found);
    }
    const facts = await found;
    return facts ? localLooks(facts) : undefined;
  }
  // On AWS looking starts nothing: `plan` and `status` look as `run` does.
  const [{ connect }, { sdkLooks }] = await Promise.all([
    import('./aws-connection.js'),
    import('./drift-sdk-looks.js'),
  ]);
  return sdkLooks(await connect(config, stateDir));
}

const localSageMakers = new Map<string, Promise<LocalSageMakerAccess | undefined>>();

async function findLocal(
  config: PipelineConfig,
  stateDir: string,
  mayStart: boolean,
): Promise<LocalSageMakerAccess | undefined> {
  const { ensureLocalSageMakerOf, findLocalSageMakerOf } = await import('./local-sagemaker-of.js');
  return mayStart ? ensureLocalSageMakerOf(config, stateDir) : findLocalSageMakerOf(config, stateDir);
}

/** A JSON 1.1 call to a local service: its answer, or undefined when it says "not found". */
async function localCall(
  daemon: LocalSageMakerAccess,
  target: string,
  input: Record<string, unknown>,
  missing: RegExp,
): Promise<Record<string, unknown> | undefined> {
  const body = JSON.stringify(input);
  const response = await httpRequest(daemon.endpoint, {
    method: 'POST',
    headers: signedHeaders({
      method: 'POST',
      url: new URL(daemon.endpoint),
      headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' },
      body,
      region: daemon.region,
      service: target.startsWith('SageMaker.') ? 'sagemaker' : 'ecr',
      key: daemon.credentials,
    }),
    body,
  });
  const answer = JSON.parse(response.text || '{}') as Record<string, unknown>;
  if (response.status === 200) return answer;
  const said = `${String(answer.__type)}: ${String(answer.message)}`;
  if (missing.test(said)) return undefined;
  throw new Error(`${target} answered ${response.status}: ${said}`);
}

/** The local SageMaker's own answers to a missing job or endpoint (ValidationException, in words). */
const SAGEMAKER_MISSING = /^ValidationException: .*(Could not find|Requested resource not found)/;

export function localLooks(facts: LocalSageMakerAccess): DriftLooks {
  return {
    describeEndpoint: async (name) =>
      localCall(facts, 'SageMaker.DescribeEndpoint', { EndpointName: name }, SAGEMAKER_MISSING),
    describeTrainingJob: async (name) =>
      localCall(facts, 'SageMaker.DescribeTrainingJob', { TrainingJobName: name }, SAGEMAKER_MISSING),
    objectExists: async (bucket, key) => {
      const path = key.split('/').map(encodeURIComponent).join('/');
      const url = new URL(`${facts.s3Endpoint}/${encodeURIComponent(bucket)}/${path}`);
      const response = await httpRequest(url.href, {
        method: 'HEAD',
        headers: signedHeaders({
          method: 'HEAD',
          url,
          headers: {},
          region: facts.region,
          service: 's3',
          key: facts.credentials,
        }),
      });
      if (response.status === 404) return false;
      if (response.status !== 200)
        throw new Error(`the local S3 answered ${response.status} to HEAD ${bucket}/${key}`);
      return true;
    },
    listPrefix: (bucket, prefix, bounds) => listLocalPrefix(facts, bucket, prefix, bounds ?? []),
    imageExists: async (repository, digest) =>
      (await localCall(
        facts,
        'AmazonEC2ContainerRegistry_V20150921.DescribeImages',
        { repositoryName: repository, imageIds: [{ imageDigest: digest }] },
        /^(ImageNotFoundException|RepositoryNotFoundException):/,
      )) !== undefined,
  };
}

/**
 * The objects under a prefix of the local S3, as plain signed HTTP (no SDK), in the ranges between
 * the bounds at once (listInRanges, as the SDK's listing). A bucket that is not there holds none.
 */
async function listLocalPrefix(
  facts: LocalSageMakerAccess,
  bucket: string,
  prefix: string,
  bounds: readonly string[],
): Promise<RemoteObject[]> {
  return listInRanges(bounds, 8, async ({ token, startAfter }) => {
    const query = new URLSearchParams({
      'list-type': '2',
      prefix,
      ...(token ? { 'continuation-token': token } : startAfter ? { 'start-after': startAfter } : {}),
    });
    const url = new URL(`${facts.s3Endpoint}/${encodeURIComponent(bucket)}?${query}`);
    const response = await httpRequest(url.href, {
      method: 'GET',
      headers: signedHeaders({
        method: 'GET',
        url,
        headers: {},
        region: facts.region,
        service: 's3',
        key: facts.credentials,
      }),
    });
    if (response.status === 404) return { objects: [], nextToken: undefined };
    if (response.status !== 200)
      throw new Error(`the local S3 answered ${response.status} to a listing of ${bucket}/${prefix}`);
    return parseListBucketResult(response.text);
  });
}
