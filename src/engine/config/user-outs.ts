// The files and folders the user's stages make in the project: each command's outs, and each
// processing output's download. One list for every check that asks who makes a path: the config's
// (a data channel's path a stage makes need not exist yet) and the graph's (one maker per path, no
// stage reading what it makes, `from` rather than a path).
import { isWithin } from '../../shared/path-within.js';
import type { PipelineConfig } from './pipeline-config.js';

export interface LocalOut {
  stage: string;
  out: string;
  path: string;
  /** Where it is written in pipeline.yaml. */
  at: (string | number)[];
}

export function localOutsOf(config: PipelineConfig): LocalOut[] {
  return Object.entries(config.stages ?? {}).flatMap(([stage, settings]) => [
    ...Object.entries(settings.outs).map(([out, path]) => ({
      stage,
      out,
      path,
      at: ['stages', stage, 'outs', out],
    })),
    ...Object.entries(settings.processing?.outputs ?? {}).flatMap(([out, output]) =>
      output.download !== undefined
        ? [
            {
              stage,
              out,
              path: output.download,
              at: ['stages', stage, 'processing', 'outputs', out, 'download'],
            },
          ]
        : [],
    ),
  ]);
}

/** The out (of a stage other than `except`) that holds this path, if a user stage makes it. */
export const makerOf = (config: PipelineConfig, path: string, except?: string): LocalOut | undefined =>
  localOutsOf(config).find((made) => made.stage !== except && isWithin(made.path, path));
