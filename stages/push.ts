// push: the built image to ECR (or the registry behind the local ECR), recorded by digest;
// every later stage uses the image by that digest. For the local target with no registry, the
// local image is used as it is (by image id, or the programs' folder for the process runtime).
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PipelineConfig } from '../src/engine/config/pipeline-config.js';
import type { Stage, StageOutputs } from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import { StageError } from '../src/shared/errors.js';
import { readBuildOutputs } from './build.js';

const repositoryName = (config: PipelineConfig): string => config.image.repository ?? config.image.name;

/** What push records: the image every later stage uses, by digest when it was pushed. */
const readShape = outputReader('push', { imageUri: 'string', pushed: 'boolean', programDir: 'string?' });
export type PushOutputs = { imageUri: string; pushed: boolean };

/**
 * push's outputs, for the stages that run the image. A process-runtime image is the programs'
 * folder, recorded relative to the project and given back as a file:// URL of where it is now, so
 * that a moved project trains and deploys from its own folder.
 */
export function readPushOutputs(outputs: StageOutputs | undefined, projectDir: string): PushOutputs {
  const { imageUri, pushed, programDir } = readShape(outputs);
  return {
    imageUri: programDir !== undefined ? pathToFileURL(resolve(projectDir, programDir)).href : imageUri,
    pushed,
  };
}

export const push: Stage = {
  name: 'push',
  description: 'push the image to ECR',
  needs: ['build'],
  version: 2,
  inputs: (config) => ({
    config: {
      target: config.target,
      'aws.region': config.aws.region,
      'local.registry': config.target === 'local' ? config.local.registry : undefined,
      'image.repository': repositoryName(config),
      'image.tag': config.image.tag,
    },
    files: [],
  }),
  note: (config) =>
    config.target === 'local' && !config.local.registry
      ? 'no local registry configured (local.registry): the built image is used as it is, nothing is pushed'
      : undefined,
  run: async (ctx): Promise<StageOutputs> => {
    const built = readBuildOutputs(ctx.upstream.build, ctx.projectDir);
    const { config } = ctx;
    const localOnly = config.target === 'local' && !config.local.registry;
    if (built.runtime === 'process') {
      if (config.target === 'aws') {
        throw new StageError(
          'pushing to ECR needs a docker image, and this build used the process runtime (no docker engine)',
          'Start a docker engine, or set `runtime: docker`, and run again.',
        );
      }
      // The local SageMaker runs file:// images as processes.
      const imageUri = pathToFileURL(built.programDir).href;
      ctx.log(
        `process runtime: the local SageMaker runs the programs in ${built.programDir}${localOnly ? '' : ' (a registry needs a docker image; nothing pushed)'}`,
      );
      return {
        imageUri,
        pushed: false,
        contentHash: built.contentHash,
        programDir: relative(ctx.projectDir, built.programDir) || '.',
      };
    }
    if (localOnly) {
      ctx.log(
        `no local registry configured: the local SageMaker uses ${built.image} as it is (${built.imageId})`,
      );
      return { imageUri: built.imageId, pushed: false };
    }
    const { connect } = await import('../src/sagemaker/aws-connection.js');
    const { pushImage, dockerConfigDir } = await import('../src/sagemaker/push-image.js');
    ctx.step('connecting');
    const connection = await connect(config, ctx.stateDir);
    const pushed = await pushImage({
      connection,
      localImage: built.imageId,
      repositoryName: repositoryName(config),
      tag: config.image.tag,
      pipelineName: config.name,
      dockerConfigDir: dockerConfigDir(ctx.stateDir),
      log: ctx.log,
      step: ctx.step,
      progress: ctx.progress,
      signal: ctx.signal,
    });
    ctx.log(`pushed ${pushed.imageUri}`);
    return { ...pushed, pushed: true };
  },
  drift: async ({ config, stateDir, outputs, mayStart }) => {
    if (outputs.pushed !== true || typeof outputs.imageUri !== 'string') return undefined;
    const { driftLooksFor, imageDrift } = await import('../src/sagemaker/drift.js');
    const looks = await driftLooksFor(config, stateDir, mayStart);
    return looks ? imageDrift(looks, outputs.imageUri) : undefined;
  },
};
