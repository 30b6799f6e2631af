// deploy: model, endpoint config and endpoint (created, or updated in place without downtime).
import { type Stage, StageError } from '../src/plan/stage.js';

export const deploy: Stage = {
  name: 'deploy',
  description: 'deploy the model to an endpoint',
  needs: ['push', 'train'],
  version: 1,
  inputs: (config) => ({
    config: { deploy: config.deploy, 'aws.roleArn': config.aws.roleArn, target: config.target },
    files: [],
  }),
  run: async () => {
    throw new StageError('the deploy stage is not implemented yet (issue #5)');
  },
};
