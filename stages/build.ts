// build: the model's container. It prepares the build context (npm ci and the package's build
// script, when the context is an npm package), then either builds the docker image, recorded by
// image id, or, with the process runtime, records a content hash of the programs.
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { PipelineConfig } from '../src/engine/config/pipeline-config.js';
import { FileHasher } from '../src/engine/plan/file-hasher.js';
import type { Stage, StageOutputs } from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import type { BuiltImage } from '../src/runtimes/container-runtime.js';
import { dockerBuildArgs, dockerValues } from '../src/runtimes/docker/docker-env.js';
import { hashJson } from '../src/shared/canonical-json.js';
import { StageError } from '../src/shared/errors.js';

/** Generated inside the context by its own build; their sources are fingerprinted instead. */
const GENERATED = ['node_modules', 'dist', '.git'];

/** What build records: the image (docker) or the programs (process runtime), as BuiltImage. */
export type BuildOutputs = BuiltImage;

const readShape = outputReader('build', {
  runtime: 'string',
  image: 'string',
  imageId: 'string?',
  programDir: 'string?',
  contentHash: 'string?',
});

/**
 * build's outputs, for the stages that run the image. The programs' folder is recorded relative
 * to the project (a moved project's build is still up to date) and given back as it is now.
 */
export function readBuildOutputs(outputs: StageOutputs | undefined, projectDir: string): BuildOutputs {
  const built = readShape(outputs);
  if (built.runtime === 'docker' && built.imageId !== undefined) {
    return { runtime: 'docker', image: built.image, imageId: built.imageId };
  }
  if (built.runtime === 'process' && built.programDir !== undefined && built.contentHash !== undefined) {
    return {
      runtime: 'process',
      image: built.image,
      programDir: resolve(projectDir, built.programDir),
      contentHash: built.contentHash,
    };
  }
  throw new StageError(
    `build's recorded outputs are not a ${built.runtime} image: run \`pipeline run --from build\``,
  );
}

/** Words a RUN step prints when it has no network (apt-get, pip, npm, curl). */
const NO_NETWORK =
  /Temporary failure resolving|Could not resolve|Name or service not known|Network is unreachable|getaddrinfo (EAI_AGAIN|ENOTFOUND)|Failed to establish a new connection/;

/** A failed `docker build`, with a hint when a step could not reach the network. */
function explainBuildFailure(error: unknown, network: string | undefined, secrets: boolean): unknown {
  if (!(error instanceof StageError)) return error;
  const text = `${error.message}\n${error.detail ?? ''}`;
  // The legacy builder (a docker without the buildx component) has no --secret.
  if (secrets && /unknown flag: --secret/.test(text))
    return new StageError(
      'image.build.secrets need BuildKit, and this docker has only the legacy builder (no buildx component)',
      'Install the buildx component (Debian: docker-buildx, Docker: docker-buildx-plugin), or remove image.build.secrets.',
      { cause: error },
    );
  if (!NO_NETWORK.test(text) || network === 'host') return error;
  return new StageError(
    error.message,
    `${error.detail ? `${error.detail}\n` : ''}A build step could not reach the network: set image.build.network: host in pipeline.yaml (docker build --network host), or build from a base image that holds what the step fetches.`,
    { cause: error },
  );
}

/**
 * A build that failed because a base image is not on this machine and the registry cannot be
 * reached: the image named, with what to do; undefined for any other failure.
 */
async function explainUnpullableBase(
  error: unknown,
  projectDir: string,
  image: PipelineConfig['image'],
): Promise<StageError | undefined> {
  if (!(error instanceof StageError)) return undefined;
  const { REGISTRY_TROUBLE, baseImagesOf, baseImageAdvice } = await import(
    '../src/runtimes/docker/base-image.js'
  );
  if (!REGISTRY_TROUBLE.test(`${error.message}\n${error.detail ?? ''}`)) return undefined;
  const dockerfile = await readFile(resolve(projectDir, image.dockerfile), 'utf8').catch(() => '');
  const { docker } = await import('../src/runtimes/docker/docker-cli.js');
  for (const base of baseImagesOf(dockerfile, image.buildArgs)) {
    const present = await docker(['image', 'inspect', '--format', '{{.Id}}', base]).then(
      () => true,
      () => false,
    );
    if (!present)
      return new StageError(
        `the base image ${base} is not on this machine and cannot be pulled`,
        `${error.detail ? `${error.detail}\n` : ''}${baseImageAdvice(base)}\n\`pipeline doctor\` checks this before a run.`,
        { cause: error },
      );
  }
  return undefined;
}

export const build: Stage = {
  name: 'build',
  description: 'build the container image',
  needs: [],
  version: 3,
  inputs: (config) => ({
    config: { image: config.image, runtime: config.runtime },
    files: [{ path: config.image.dockerfile }, { path: config.image.context, exclude: GENERATED }],
  }),
  run: async (ctx) => {
    // Loaded here, not at start-up: a CLI run that builds nothing does not pay for them.
    const { docker } = await import('../src/runtimes/docker/docker-cli.js');
    const { prepareBuildContext } = await import('../src/runtimes/prepare-build-context.js');
    const { selectRuntime } = await import('../src/runtimes/select-runtime.js');
    const { image } = ctx.config;
    const contextDir = resolve(ctx.projectDir, image.context);
    const tag = `${image.name}:${image.tag}`;
    const { runtime, why } = await selectRuntime(ctx.config.runtime);
    ctx.log(why);
    await prepareBuildContext(contextDir, ctx.step, ctx.log);

    let built: BuiltImage;
    if (runtime.kind === 'docker') {
      ctx.step(`docker build ${tag}`);
      const buildArgs = dockerValues('--build-arg', image.buildArgs);
      const options = image.build;
      const extra = dockerBuildArgs(options.args);
      await docker(
        [
          'build',
          // An intermediate container of a failed step is removed, not left behind.
          '--force-rm',
          '--tag',
          tag,
          '--platform',
          image.platform,
          '--file',
          resolve(ctx.projectDir, image.dockerfile),
          ...buildArgs.args,
          ...(options.network && options.network !== 'default' ? ['--network', options.network] : []),
          ...(options.target ? ['--target', options.target] : []),
          ...options.secrets.flatMap((secret) => [
            '--secret',
            secret.env !== undefined
              ? `id=${secret.id},env=${secret.env}`
              : `id=${secret.id},src=${resolve(ctx.projectDir, secret.src as string)}`,
          ]),
          ...extra.args,
          contextDir,
        ],
        { log: ctx.log, signal: ctx.signal, env: { ...buildArgs.env, ...extra.env } },
      ).catch(async (error: unknown) => {
        throw (
          (await explainUnpullableBase(error, ctx.projectDir, image)) ??
          explainBuildFailure(error, options.network, options.secrets.length > 0)
        );
      });
      const imageId = await docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
      built = { runtime: 'docker', image: tag, imageId };
    } else {
      ctx.step('hashing the programs');
      const hasher = await FileHasher.open();
      const files = await hasher.hashTree(contextDir, contextDir, ['node_modules', '.git']);
      built = {
        runtime: 'process',
        image: tag,
        programDir: contextDir,
        contentHash: `sha256:${hashJson(files)}`,
      };
      // A container this machine cannot run without docker is said so here, not as a crash later.
      for (const program of ['train', 'serve'] as const) {
        await runtime.prepareImage(built, program).catch((error: Error) => {
          throw new StageError(`${error.message}${why ? ` (${why})` : ''}`);
        });
      }
    }
    ctx.log(`built ${built.image} (${built.runtime === 'docker' ? built.imageId : built.contentHash})`);
    return built.runtime === 'process'
      ? { ...built, programDir: relative(ctx.projectDir, built.programDir) || '.' }
      : { ...built };
  },
};
