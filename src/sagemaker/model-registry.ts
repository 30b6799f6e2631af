// The pipeline's models in SageMaker's model registry: a model package group named after the
// pipeline, one version per trained model that passed its gates (its image, its artifact, its
// metrics and the run that judged it), waiting for a person's approval; the latest approved
// version is what an environment with deploy.requireApproval serves.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  type ListModelPackagesCommandOutput,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { sha256Hex } from '../shared/canonical-json.js';
import { StageError } from '../shared/errors.js';
import type { AwsConnection } from './aws-connection.js';
import { isNotFound } from './aws-errors.js';
import { dataBucketOf, dataPrefixOf } from './data-location.js';
import { aws, explainAwsError } from './explain-aws-error.js';

/** The group of a pipeline's versions: its name (a valid group name, by the schema's pattern). */
export const modelGroupOf = (config: PipelineConfig): string => config.name;

export interface Registration {
  connection: AwsConnection;
  config: PipelineConfig;
  runId: string;
  imageUri: string;
  modelArtifact: string;
  /** The evaluation's metrics.json, kept in S3 beside the version as its ModelQuality statistics. */
  metricsJson: string;
  metrics: Record<string, number>;
  commit?: string;
  log(line: string): void;
}

export interface RegisteredVersion {
  modelPackageArn: string;
  version: number;
}

async function ensureGroup(connection: AwsConnection, config: PipelineConfig): Promise<void> {
  const group = modelGroupOf(config);
  try {
    await connection.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group }));
    return;
  } catch (error) {
    if (!isNotFound(error)) throw explainAwsError(error, `describing the model package group ${group}`);
  }
  await aws(`creating the model package group ${group}`, () =>
    connection.sagemaker.send(
      new CreateModelPackageGroupCommand({
        ModelPackageGroupName: group,
        ModelPackageGroupDescription: `pipeline ${config.name}: one version per trained model that passed its gates`,
        Tags: [{ Key: 'pipeline', Value: config.name }],
      }),
    ),
  );
}

/** The headline metrics as the version's metadata (strings, as SageMaker keeps them). */
function metadataOf(request: Registration): Record<string, string> {
  const metadata: Record<string, string> = { runId: request.runId };
  if (request.commit) metadata.commit = request.commit;
  for (const [name, value] of Object.entries(request.metrics)) {
    if (Object.keys(metadata).length >= 50) break;
    if (/^[A-Za-z0-9_.:/=+\-@ ]{1,120}$/.test(name)) metadata[`metric:${name}`] = String(value);
  }
  return metadata;
}

/**
 * Registers the model as the next version of the pipeline's group, waiting for approval. One
 * version per model artifact: the create's ClientToken is the artifact's digest, so a run that
 * judges the same model again (a retry, a resumed run) answers the version it made.
 */
export async function registerModel(request: Registration): Promise<RegisteredVersion> {
  const { connection, config } = request;
  await ensureGroup(connection, config);
  const bucket = dataBucketOf(config);
  if (!bucket) throw new StageError('aws.bucket is not set: the model registry keeps the metrics in S3');
  const key = `${dataPrefixOf(config)}/registry/${request.runId}/metrics.json`;
  await aws(`uploading the metrics to s3://${bucket}/${key}`, () =>
    connection.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: request.metricsJson,
        ContentType: 'application/json',
      }),
    ),
  );
  const made = await aws(`registering the model in ${modelGroupOf(config)}`, () =>
    connection.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: modelGroupOf(config),
        ModelPackageDescription: `run ${request.runId}`,
        InferenceSpecification: {
          Containers: [
            {
              Image: request.imageUri,
              ModelDataUrl: request.modelArtifact,
              ...(Object.keys(config.deploy.environment).length > 0
                ? { Environment: config.deploy.environment }
                : {}),
            },
          ],
          ...(config.invoke ? { SupportedContentTypes: [config.invoke.contentType] } : {}),
          ...(config.invoke ? { SupportedResponseMIMETypes: [config.invoke.accept] } : {}),
          SupportedRealtimeInferenceInstanceTypes: [config.deploy.instanceType as never],
        },
        ModelApprovalStatus: 'PendingManualApproval',
        ModelMetrics: {
          ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://${bucket}/${key}` } },
        },
        CustomerMetadataProperties: metadataOf(request),
        ClientToken: sha256Hex(request.modelArtifact).slice(0, 32),
        Tags: [{ Key: 'pipeline', Value: config.name }],
      }),
    ),
  );
  const arn = made.ModelPackageArn as string;
  return { modelPackageArn: arn, version: Number(arn.split('/').at(-1)) };
}

export interface ApprovedVersion {
  modelPackageArn: string;
  version: number;
  imageUri: string;
  modelArtifact: string;
  runId?: string;
}

/** The latest approved version of the pipeline's group, or undefined when none is. */
export async function latestApproved(
  connection: AwsConnection,
  config: PipelineConfig,
): Promise<ApprovedVersion | undefined> {
  let listed: ListModelPackagesCommandOutput;
  try {
    listed = await connection.sagemaker.send(
      new ListModelPackagesCommand({
        ModelPackageGroupName: modelGroupOf(config),
        ModelApprovalStatus: 'Approved',
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: 1,
      }),
    );
  } catch (error) {
    // No group yet: nothing was ever registered, so nothing is approved.
    if (isNotFound(error)) return undefined;
    throw explainAwsError(error, `listing the approved versions of ${modelGroupOf(config)}`);
  }
  const arn = listed.ModelPackageSummaryList?.[0]?.ModelPackageArn;
  if (!arn) return undefined;
  const described = await aws(`describing the model package ${arn}`, () =>
    connection.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn })),
  );
  const container = described.InferenceSpecification?.Containers?.[0];
  if (!container?.Image || !container.ModelDataUrl)
    throw new StageError(`the approved model package ${arn} names no image and model artifact to deploy`);
  return {
    modelPackageArn: arn,
    version: described.ModelPackageVersion ?? Number(arn.split('/').at(-1)),
    imageUri: container.Image,
    modelArtifact: container.ModelDataUrl,
    ...(described.CustomerMetadataProperties?.runId
      ? { runId: described.CustomerMetadataProperties.runId }
      : {}),
  };
}

/** `pipeline approve` and `pipeline reject`: the version's status, with who and why. */
export async function setApproval(
  connection: AwsConnection,
  modelPackageArn: string,
  status: 'Approved' | 'Rejected',
  description: string,
): Promise<void> {
  await aws(`updating the model package ${modelPackageArn}`, () =>
    connection.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: modelPackageArn,
        ModelApprovalStatus: status,
        ApprovalDescription: description.slice(0, 1000),
      }),
    ),
  );
}
