// The drift checks of the stages that make remote resources: one Describe each, run before a
// stage is skipped as up to date, saying what no longer holds. Something deleted or changed
// outside pipeline (in the console, by a teammate, by a `destroy` elsewhere) makes its stage
// stale instead of being reported as up to date.
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  DescribeTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import type { AwsConnection } from './aws-connection.js';
import { isNotFound } from './aws-errors.js';

const missing = isNotFound;

/** Is the endpoint there, in service, and serving the deployment the state names? */
export async function endpointDrift(
  connection: AwsConnection,
  endpointName: string,
  deploymentName: string,
): Promise<string | undefined> {
  let endpoint: DescribeEndpointCommandOutput;
  try {
    endpoint = await connection.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  } catch (error) {
    if (missing(error)) return `endpoint ${endpointName} no longer exists`;
    throw error;
  }
  if (endpoint.EndpointStatus !== 'InService') {
    const why = endpoint.FailureReason ? ` (${endpoint.FailureReason})` : '';
    return `endpoint ${endpointName} is ${endpoint.EndpointStatus ?? 'in no known state'}${why}`;
  }
  if (endpoint.EndpointConfigName !== deploymentName) {
    return `endpoint ${endpointName} serves ${endpoint.EndpointConfigName}, not ${deploymentName}`;
  }
  return undefined;
}

/** Does the training job still exist, completed, with its model artifact in S3? */
export async function trainingDrift(
  connection: AwsConnection,
  jobName: string,
  modelArtifact: string,
): Promise<string | undefined> {
  try {
    const job = await connection.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName }));
    if (job.TrainingJobStatus !== 'Completed') return `training job ${jobName} is ${job.TrainingJobStatus}`;
  } catch (error) {
    if (missing(error)) return `training job ${jobName} no longer exists`;
    throw error;
  }
  const artifact = /^s3:\/\/([^/]+)\/(.+)$/.exec(modelArtifact);
  if (!artifact) return undefined;
  try {
    await connection.s3.send(new HeadObjectCommand({ Bucket: artifact[1], Key: artifact[2] }));
  } catch (error) {
    if (missing(error)) return `the model artifact ${modelArtifact} no longer exists`;
    throw error;
  }
  return undefined;
}

/** Is the pushed image (REPO@sha256:...) still in its repository? */
export async function imageDrift(connection: AwsConnection, imageUri: string): Promise<string | undefined> {
  const pushed = /^[^/]+\/(.+)@(sha256:[0-9a-f]{64})$/.exec(imageUri);
  if (!pushed) return undefined;
  try {
    await connection.ecr.send(
      new DescribeImagesCommand({ repositoryName: pushed[1], imageIds: [{ imageDigest: pushed[2] }] }),
    );
  } catch (error) {
    if (missing(error)) return `the image ${imageUri} is no longer in its repository`;
    throw error;
  }
  return undefined;
}
