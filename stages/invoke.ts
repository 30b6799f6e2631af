// invoke: the evaluation rows sent to the endpoint in requests of at most 6 MiB.
import { type Stage, StageError } from '../src/plan/stage.js';

export const invoke: Stage = {
  name: 'invoke',
  description: 'send the evaluation data to the endpoint',
  needs: ['deploy'],
  version: 1,
  inputs: (config) => ({
    config: { invoke: config.invoke },
    files: config.invoke ? [{ path: config.invoke.data }] : [],
  }),
  run: async () => {
    throw new StageError('the invoke stage is not implemented yet (issue #5)');
  },
};
