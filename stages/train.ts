// train: a SageMaker training job on the pushed image and the uploaded channels; its name is
// saved before the wait so that an interrupted run re-attaches to the same job.
import { type Stage, StageError } from '../src/plan/stage.js';

export const train: Stage = {
  name: 'train',
  description: 'run the SageMaker training job',
  needs: ['push', 'upload'],
  version: 1,
  inputs: (config) => ({
    config: { training: config.training, 'aws.roleArn': config.aws.roleArn, target: config.target },
    files: [],
  }),
  run: async () => {
    throw new StageError('the train stage is not implemented yet (issue #5)');
  },
};
