// push: the built image to ECR (or the local registry), recorded by digest.
import { type Stage, StageError } from '../src/plan/stage.js';

export const push: Stage = {
  name: 'push',
  description: 'push the image to ECR',
  needs: ['build'],
  version: 1,
  inputs: (config) => ({
    config: {
      target: config.target,
      'aws.region': config.aws.region,
      'image.repository': config.image.repository ?? config.image.name,
      'image.tag': config.image.tag,
    },
    files: [],
  }),
  run: async () => {
    throw new StageError('the push stage is not implemented yet (issue #5)');
  },
};
