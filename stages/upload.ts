// upload: each data channel to s3://bucket/prefix/CHANNEL/, unchanged files skipped.
import { type Stage, StageError } from '../src/plan/stage.js';

export const upload: Stage = {
  name: 'upload',
  description: 'upload the data channels to S3',
  needs: [],
  version: 1,
  inputs: (config) => ({
    config: {
      target: config.target,
      data: config.data,
      'aws.region': config.aws.region,
      'aws.bucket': config.aws.bucket,
      'aws.prefix': config.aws.prefix ?? config.name,
    },
    files: Object.values(config.data).map((channel) => ({ path: channel.path })),
  }),
  run: async () => {
    throw new StageError('the upload stage is not implemented yet (issue #5)');
  },
};
