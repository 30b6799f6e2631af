// Opens the `s3` state backend of a config: on AWS with the pipeline's region and profile, on an
// S3-compatible server when state.endpoint names one, and on target local (without an endpoint)
// in the local S3 of the pipeline's local SageMaker (its own, or the shared one of local.endpoint),
// so that the local target runs the same path.
import '../shared/sdk-defaults.js';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { StateBackendError } from '../engine/state/state-backend.js';
import { awsRegion } from './aws-connection.js';
import { ensureLocalSageMakerOf } from './local-sagemaker-of.js';
import { RETRY_SETTINGS } from './retry-policy.js';
import { createS3Client } from './s3-client.js';
import { S3StateBackend, type S3StateLocation } from './s3-state-backend.js';

export function s3StateLocation(config: PipelineConfig): S3StateLocation {
  const { bucket, prefix } = config.state;
  // check-semantics refuses backend s3 without a bucket before anything gets here.
  if (!bucket) throw new StateBackendError('state.backend s3 needs state.bucket');
  return { bucket, prefix: (prefix ?? `pipeline-state/${config.name}`).replace(/\/+$/, '') };
}

async function stateClient(config: PipelineConfig, stateDir: string): Promise<S3Client> {
  const { endpoint, region } = config.state;
  const regionOf = region ?? awsRegion(config) ?? 'us-east-1';
  if (endpoint)
    return createS3Client({ ...RETRY_SETTINGS, region: regionOf, endpoint, forcePathStyle: true });
  if (config.target === 'local') {
    const facts = await ensureLocalSageMakerOf(config, stateDir).catch((error: Error) => {
      throw new StateBackendError(
        `cannot ${config.local.endpoint ? 'reach' : 'start'} the local S3 that holds the state: ${error.message}`,
      );
    });
    const s3 = createS3Client({
      ...RETRY_SETTINGS,
      region: region ?? facts.region,
      endpoint: facts.s3Endpoint,
      forcePathStyle: true,
      credentials: facts.credentials,
    });
    // The local S3 starts empty: its state bucket is made on first use, as a team makes theirs once.
    const bucket = s3StateLocation(config).bucket;
    await s3
      .send(new HeadBucketCommand({ Bucket: bucket }))
      .catch(() => s3.send(new CreateBucketCommand({ Bucket: bucket })));
    return s3;
  }
  return createS3Client({
    ...RETRY_SETTINGS,
    region: regionOf,
    ...(config.aws.profile ? { profile: config.aws.profile } : {}),
  });
}

export async function openS3StateBackend(config: PipelineConfig, stateDir: string): Promise<S3StateBackend> {
  return new S3StateBackend(await stateClient(config, stateDir), s3StateLocation(config), stateDir);
}
