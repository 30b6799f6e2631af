// evaluate: metrics of the predictions against the ground truth, and the gates they must pass.
import { type Stage, StageError } from '../src/plan/stage.js';

export const evaluate: Stage = {
  name: 'evaluate',
  description: 'score the predictions against the ground truth',
  needs: ['invoke'],
  version: 1,
  inputs: (config) => ({
    config: { evaluate: config.evaluate },
    files: config.evaluate ? [{ path: config.evaluate.groundTruth }] : [],
  }),
  run: async () => {
    throw new StageError('the evaluate stage is not implemented yet (issue #6)');
  },
};
