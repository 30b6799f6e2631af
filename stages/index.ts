// The pipeline's stages, in the order they run. A new stage is a module here; the engine
// needs no change. The user's own stages (pipeline.yaml's `stages:`) are made by `userStage`.
import type { UserStageFactory } from '../src/engine/graph/compose-stages.js';
import type { Stage } from '../src/engine/stage.js';
import { build } from './build.js';
import { commandStage } from './command-stage.js';
import { deploy } from './deploy.js';
import { evaluate } from './evaluate.js';
import { invoke } from './invoke.js';
import { localTest } from './local-test.js';
import { processingStage } from './processing-stage.js';
import { push } from './push.js';
import { train } from './train.js';
import { upload } from './upload.js';

export const stages: readonly Stage[] = [build, localTest, push, upload, train, deploy, invoke, evaluate];

/** A user stage of either kind, reading built-in outs through `builtIns`. */
export const userStage =
  (builtIns: readonly Stage[]): UserStageFactory =>
  (name, settings, config) =>
    settings.processing
      ? processingStage(name, settings, settings.processing, config, builtIns)
      : commandStage(name, settings, config, builtIns);
