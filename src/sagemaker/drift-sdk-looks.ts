// The drift checks' looks through the AWS SDK (target aws, where calls are signed): what does
// not exist comes back as undefined or false, by the one error classifier.

import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import type { AwsConnection } from './aws-connection.js';
import { isNotFound } from './aws-errors.js';
import type { DriftLooks } from './drift-looks.js';
import { listObjects } from './remote-listing.js';

/** The answer of a call, or `missing` when AWS says the thing does not exist. */
async function orMissing<T, M>(call: () => Promise<T>, missing: M): Promise<T | M> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error)) return missing;
    throw error;
  }
}

export function sdkLooks(connection: AwsConnection): DriftLooks {
  return {
    describeEndpoint: (name) =>
      orMissing(
        () => connection.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name })),
        undefined,
      ),
    describeTrainingJob: (name) =>
      orMissing(
        () => connection.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name })),
        undefined,
      ),
    objectExists: (bucket, key) =>
      orMissing(async () => {
        await connection.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      }, false),
    listPrefix: (bucket, prefix, bounds) =>
      listObjects({ s3: connection.s3, bucket, prefix, ...(bounds ? { bounds } : {}) }),
    imageExists: (repository, digest) =>
      orMissing(async () => {
        await connection.ecr.send(
          new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageDigest: digest }] }),
        );
        return true;
      }, false),
  };
}
