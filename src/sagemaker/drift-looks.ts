// What a drift check asks of the remote side, whichever way it is asked (the SDK on AWS, plain
// HTTP to the local services): undefined or false when the thing looked at does not exist.

export interface EndpointLook {
  EndpointStatus?: string;
  EndpointConfigName?: string;
  FailureReason?: string;
}

import type { RemoteObject } from './remote-listing.js';

export interface DriftLooks {
  describeEndpoint(name: string): Promise<EndpointLook | undefined>;
  describeTrainingJob(name: string): Promise<{ TrainingJobStatus?: string } | undefined>;
  objectExists(bucket: string, key: string): Promise<boolean>;
  /**
   * The objects under a prefix: key, ETag (quoted, as S3 lists it) and size; with `bounds`, the
   * ranges between them listed at once.
   */
  listPrefix(bucket: string, prefix: string, bounds?: readonly string[]): Promise<RemoteObject[]>;
  imageExists(repository: string, digest: string): Promise<boolean>;
}
