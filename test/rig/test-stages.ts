// Stages for exercising the engine with real files and processes, without docker or AWS. Each
// appends a line to .pipeline/test-executions.log when it runs, and its outputs are derived
// from its inputs, like a real stage's. Environment variables make one of them misbehave:
// TEST_FAIL_STAGE (a StageError), TEST_BUG_STAGE (a TypeError), TEST_HANG_STAGE (saves a handle,
// then waits until interrupted), TEST_CONSTANT_BUILD (build outputs do not depend on inputs);
// TEST_REPORT makes deploy write a report into the run's folder, as evaluate does.
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { localChannels } from '../../src/engine/graph/stage-graph.js';
import { FileHasher } from '../../src/engine/plan/file-hasher.js';
import type { Stage, StageContext, StageOutputs } from '../../src/engine/stage.js';
import { hashJson } from '../../src/shared/canonical-json.js';
import { StageError } from '../../src/shared/errors.js';
import { pipelinePaths } from '../../src/shared/pipeline-paths.js';

async function record(ctx: StageContext, name: string, note = ''): Promise<void> {
  await mkdir(ctx.stateDir, { recursive: true });
  await appendFile(
    join(ctx.stateDir, 'test-executions.log'),
    `${name} ${ctx.runId}${note ? ` ${note}` : ''}\n`,
  );
}

function misbehave(name: string): void {
  if (process.env.TEST_FAIL_STAGE === name)
    throw new StageError(`${name} failed on purpose`, 'remote says: no');
  if (process.env.TEST_BUG_STAGE === name) throw new TypeError(`${name} has a bug`);
}

async function hangUntilAborted(ctx: StageContext, name: string): Promise<void> {
  if (process.env.TEST_HANG_STAGE !== name) return;
  if (!ctx.resumeHandle) await ctx.saveHandle({ job: `${name}-job-${ctx.runId}` });
  ctx.log('waiting for the remote job');
  // The test interrupts us here; like a real stage polling a job, we never finish on our own.
  const poll = setInterval(() => undefined, 1000);
  await new Promise((_, reject) =>
    ctx.signal.addEventListener('abort', () => {
      clearInterval(poll);
      reject(new Error('aborted'));
    }),
  );
}

export const testStages: readonly Stage[] = [
  {
    name: 'build',
    description: 'hash the build context',
    needs: [],
    version: 1,
    inputs: (config) => ({ config: { image: config.image }, files: [{ path: config.image.context }] }),
    run: async (ctx) => {
      ctx.step('building');
      ctx.log('step 1/2');
      ctx.log('step 2/2');
      misbehave('build');
      await record(ctx, 'build');
      const dir = resolve(ctx.projectDir, ctx.config.image.context);
      const sources = await Promise.all(
        (await readdir(dir)).sort().map((f) => readFile(join(dir, f), 'utf8')),
      );
      const content = hashJson([ctx.config.image, sources]).slice(0, 12);
      const image = process.env.TEST_CONSTANT_BUILD ? 'constant' : content;
      return { imageId: `sha256:${image}` };
    },
  },
  {
    name: 'upload',
    description: 'copy the channels',
    needs: [],
    version: 1,
    inputs: (config) => ({
      config: { data: config.data },
      files: Object.values(localChannels(config)).map((channel) => ({ path: channel.path })),
    }),
    run: async (ctx) => {
      misbehave('upload');
      await record(ctx, 'upload');
      const uris: StageOutputs = {};
      const hasher = await FileHasher.open();
      for (const [name, channel] of Object.entries(localChannels(ctx.config))) {
        const tree = await hasher.hashTree(resolve(ctx.projectDir, channel.path), ctx.projectDir);
        const content = hashJson(tree);
        uris[name] = `s3://test/${name}/${content?.slice(0, 8)}`;
      }
      return { channels: uris };
    },
  },
  {
    name: 'train',
    description: 'pretend to train',
    needs: ['build', 'upload'],
    version: 1,
    inputs: (config) => ({ config: { training: config.training }, files: [] }),
    run: async (ctx) => {
      misbehave('train');
      await hangUntilAborted(ctx, 'train');
      const resumed = ctx.resumeHandle ? `resumed ${String(ctx.resumeHandle.job)}` : '';
      await record(ctx, 'train', resumed);
      const secret = ctx.config.training.environment.API_TOKEN;
      if (secret) ctx.log(`using token ${secret}`);
      return {
        job: `train-${ctx.runId}`,
        model: hashJson([ctx.config.training.hyperparameters, ctx.upstream]).slice(0, 12),
        ...(secret ? { echoedToken: secret } : {}),
      };
    },
  },
  {
    name: 'deploy',
    description: 'pretend to deploy',
    needs: ['train'],
    version: 1,
    inputs: (config) => ({ config: { deploy: config.deploy }, files: [] }),
    run: async (ctx) => {
      misbehave('deploy');
      await record(ctx, 'deploy');
      // TEST_REPORT: a report in the run's own folder, where the evaluate stage writes its report.
      if (process.env.TEST_REPORT) {
        const runFiles = pipelinePaths.runFiles(ctx.stateDir, ctx.runId);
        await mkdir(runFiles, { recursive: true });
        await writeFile(join(runFiles, 'report.html'), `<h1>run ${ctx.runId}</h1>\n`);
      }
      return { endpoint: `${ctx.config.name}-endpoint`, model: ctx.upstream.train?.model ?? null };
    },
  },
];
