// The execution role the training job and the model name. SageMaker needs one; the local
// SageMaker checks only its shape, so target local needs none in pipeline.yaml.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';

/** What target local names when aws.roleArn is not set: an ARN of the right shape, no more. */
export const LOCAL_ROLE_ARN = 'arn:aws:iam::000000000000:role/pipeline-local';

export function executionRoleOf(config: PipelineConfig): string {
  if (config.aws.roleArn) return config.aws.roleArn;
  if (config.target === 'local') return LOCAL_ROLE_ARN;
  throw new StageError('aws.roleArn is not set: SageMaker needs an execution role');
}
