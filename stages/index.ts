// The pipeline's stages, in the order they run. A new stage is a module here; the engine
// needs no change.
import type { Stage } from '../src/engine/stage.js';
import { build } from './build.js';
import { deploy } from './deploy.js';
import { evaluate } from './evaluate.js';
import { invoke } from './invoke.js';
import { localTest } from './local-test.js';
import { push } from './push.js';
import { train } from './train.js';
import { upload } from './upload.js';

export const stages: readonly Stage[] = [build, localTest, push, upload, train, deploy, invoke, evaluate];
