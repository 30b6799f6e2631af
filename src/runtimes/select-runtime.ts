// Resolves `runtime: auto | docker | process` to the runtime that will do the work.

import type { RuntimeChoice } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';
import type { BuiltImage, ContainerRuntime, ServerHandle } from './container-runtime.js';
import { dockerEngineAnswers } from './docker/docker-cli.js';
import { dockerRuntime } from './docker/docker-runtime.js';
import { processRuntime } from './process-runtime.js';

export async function selectRuntime(
  choice: RuntimeChoice,
): Promise<{ runtime: ContainerRuntime; why: string }> {
  if (choice === 'process') return { runtime: processRuntime, why: 'runtime: process' };
  const answers = await dockerEngineAnswers();
  if (choice === 'docker') {
    if (!answers) {
      throw new StageError(
        'runtime is "docker" but no docker engine answers: start one, or set `runtime: process`',
      );
    }
    return { runtime: dockerRuntime, why: 'runtime: docker' };
  }
  return answers
    ? { runtime: dockerRuntime, why: 'runtime auto: a docker engine answers' }
    : {
        runtime: processRuntime,
        why: 'runtime auto: no docker engine answers, running the programs as processes',
      };
}

/** The runtime that can run what the build stage produced. */
export const runtimeFor = (image: BuiltImage): ContainerRuntime =>
  image.runtime === 'docker' ? dockerRuntime : processRuntime;

/** The runtime that started a server. */
export const runtimeOfServer = (handle: ServerHandle): ContainerRuntime =>
  handle.kind === 'docker' ? dockerRuntime : processRuntime;
