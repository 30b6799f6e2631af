// Where a pipeline's data and artifacts live in S3, said once for the upload stage, the training
// job and `destroy`. A module without the AWS SDK: stages read it while planning.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';

/** The key prefix of this pipeline's objects: `aws.prefix`, else the pipeline's name. */
export const dataPrefixOf = (config: PipelineConfig): string => config.aws.prefix ?? config.name;

/** The bucket: `aws.bucket`, else on target local one named after the pipeline; none on AWS. */
export const dataBucketOf = (config: PipelineConfig): string | undefined =>
  config.aws.bucket ?? (config.target === 'local' ? `${config.name}-local` : undefined);

/** Where a channel's objects live: PREFIX/CHANNEL/. Only the upload stage writes there. */
export const channelPrefixOf = (prefix: string, channel: string): string =>
  `${prefix ? `${prefix}/` : ''}${channel}/`;
