// local-test: trains the built image against a scratch copy of context/ (the local /opt/ml
// mirror), then serves that model and checks one answer per sample row.
import { type Stage, StageError } from '../src/plan/stage.js';

export const localTest: Stage = {
  name: 'local-test',
  description: 'train and serve the image locally against context/',
  needs: ['build'],
  version: 1,
  inputs: (config) => ({
    config: { runtime: config.runtime, 'training.hyperparameters': config.training.hyperparameters },
    files: [{ path: 'context' }],
  }),
  run: async () => {
    throw new StageError('the local-test stage is not implemented yet (issue #3)');
  },
};
