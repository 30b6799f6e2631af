// build: the container image from image.dockerfile and image.context (or, with the process
// runtime, the compiled programs). Outputs the image id the later stages run.
import { type Stage, StageError } from '../src/plan/stage.js';

export const build: Stage = {
  name: 'build',
  description: 'build the container image',
  needs: [],
  version: 1,
  inputs: (config) => ({
    config: { image: config.image, runtime: config.runtime },
    files: [
      { path: config.image.dockerfile },
      { path: config.image.context, exclude: ['node_modules', '.git'] },
    ],
  }),
  run: async () => {
    throw new StageError('the build stage is not implemented yet (issue #3)');
  },
};
