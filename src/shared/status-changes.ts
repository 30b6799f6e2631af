// What the local SageMaker's status-change route (local-sagemaker/protocol/status-feed.ts) and
// its client (sagemaker/status-wait.ts) agree on: the path, and how a resource is named in it.

export const STATUS_CHANGES_PATH = '/_pipeline/status-changes';

/**
 * A resource as the route names it: its ARN's resource type and its name, lower-cased (names are
 * unique regardless of case).
 */
export const statusResource = (type: StatusResourceType, name: string): string =>
  `${type}/${name.toLowerCase()}`;

export type StatusResourceType =
  | 'training-job'
  | 'processing-job'
  | 'transform-job'
  | 'hyper-parameter-tuning-job'
  | 'endpoint';
