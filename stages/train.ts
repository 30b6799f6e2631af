// train: a SageMaker training job on the pushed image and the uploaded channels; its name is
// saved before the wait so that an interrupted run re-attaches to the same job.
import { join, relative } from 'node:path';
import type { PipelineConfig } from '../src/engine/config/pipeline-config.js';
import { processingSourceOf } from '../src/engine/graph/stage-graph.js';
import {
  LEFT_RUNNING_KEY,
  REPORT_KEY,
  type Stage,
  type StageContext,
  type StageOutputs,
} from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import type { AwsConnection } from '../src/sagemaker/aws-connection.js';
import { StageError } from '../src/shared/errors.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';
import { readPushOutputs } from './push.js';
import { readUploadOutputs } from './upload.js';
import { readUserOuts } from './user-stage.js';

/** What train records: the job, its model artifact, the image it ran, its final metrics. */
export const readTrainOutputs = outputReader('train', {
  jobName: 'string',
  modelArtifact: 'string',
  imageUri: 'string',
  report: 'object?',
});
export type TrainOutputs = ReturnType<typeof readTrainOutputs>;

/**
 * Each channel's S3 prefix: where upload sent it, or, for a channel that reads a processing job's
 * output, where that job left it (read there, not downloaded and sent again).
 */
function channelUrisOf(
  config: PipelineConfig,
  uploaded: Record<string, { s3Uri: string }>,
  upstream: StageContext['upstream'],
): Record<string, string> {
  const uris: Record<string, string> = {};
  for (const [name, channel] of Object.entries(config.data)) {
    const source = processingSourceOf(config, channel);
    const s3Uri = source
      ? readUserOuts(source.stage, upstream[source.stage])[source.out]?.s3Uri
      : uploaded[name]?.s3Uri;
    if (s3Uri === undefined)
      throw new StageError(
        source
          ? `${source.stage} recorded no output ${source.out}: run \`pipeline run --from ${source.stage}\``
          : `upload recorded no channel ${name}: run \`pipeline run --from upload\``,
      );
    uris[name] = s3Uri;
  }
  return uris;
}

/** The hint a killed run leaves for a remote job it leaves running. */
function leftRunning(config: PipelineConfig, what: string, stop: string): string {
  return (
    `The ${what} keeps running: \`pipeline run\` re-attaches to it. To stop it instead: ${stop}` +
    (config.target !== 'local'
      ? ''
      : config.local.endpoint
        ? ` --endpoint-url ${config.local.endpoint}`
        : ' --endpoint-url (see .pipeline/local/server.json)')
  );
}

/** train with a tuning section: the tuning job, and the best of its training jobs as the model. */
async function tune(
  ctx: StageContext,
  connection: AwsConnection,
  job: { imageUri: string; channelUris: Record<string, string>; bucket: string; logFile: string },
): Promise<StageOutputs> {
  const { runTuningJob } = await import('../src/sagemaker/tuning-job.js');
  const resume = ctx.resumeHandle?.tuningJobName;
  const previous = ctx.previousOutputs?.tuningJobName;
  const result = await runTuningJob({
    connection,
    config: ctx.config,
    ...job,
    ...(typeof resume === 'string' ? { resumeTuningJobName: resume } : {}),
    ...(typeof previous === 'string' ? { previousTuningJobName: previous } : {}),
    saveTuningJobName: (tuningJobName) =>
      ctx.saveHandle({
        tuningJobName,
        [LEFT_RUNNING_KEY]: leftRunning(
          ctx.config,
          `tuning job ${tuningJobName}`,
          `aws sagemaker stop-hyper-parameter-tuning-job --hyper-parameter-tuning-job-name ${tuningJobName}`,
        ),
      }),
    step: ctx.step,
    progress: ctx.progress,
    log: ctx.log,
    signal: ctx.signal,
  });
  const {
    trainingSeconds,
    billableSeconds,
    trials,
    strategy,
    objective,
    bestHyperparameters,
    tuningJobName,
    ...made
  } = result;
  return {
    ...made,
    imageUri: job.imageUri,
    tuningJobName,
    [REPORT_KEY]: {
      trainingSeconds,
      billableSeconds,
      logFile: relative(ctx.projectDir, job.logFile),
      tuning: {
        strategy,
        objective,
        best: { name: made.jobName, hyperparameters: bestHyperparameters },
        trials: trials.map((trial) => ({ ...trial })),
      },
    },
  };
}

export const train: Stage = {
  name: 'train',
  description: 'run the SageMaker training job',
  needs: ['push', 'upload'],
  version: 2,
  inputs: (config) => ({
    config: {
      training: config.training,
      // Absent without a tuning section: an existing training's fingerprint is unchanged.
      tuning: config.tuning,
      'aws.roleArn': config.aws.roleArn,
      'aws.prefix': config.aws.prefix,
      target: config.target,
    },
    files: [],
  }),
  run: async (ctx): Promise<StageOutputs> => {
    const { connect } = await import('../src/sagemaker/aws-connection.js');
    const { runTrainingJob } = await import('../src/sagemaker/training-job.js');
    const uploaded = readUploadOutputs(ctx.upstream.upload);
    const { imageUri } = readPushOutputs(ctx.upstream.push, ctx.projectDir);
    ctx.step('connecting');
    const connection = await connect(ctx.config, ctx.stateDir);
    const logFile = join(pipelinePaths.runFiles(ctx.stateDir, ctx.runId), 'train.log');
    if (ctx.config.tuning)
      return tune(ctx, connection, {
        imageUri,
        channelUris: channelUrisOf(ctx.config, uploaded.channels, ctx.upstream),
        bucket: uploaded.bucket,
        logFile,
      });
    const resumeJobName = ctx.resumeHandle?.jobName;
    const result = await runTrainingJob({
      connection,
      config: ctx.config,
      imageUri,
      channelUris: channelUrisOf(ctx.config, uploaded.channels, ctx.upstream),
      bucket: uploaded.bucket,
      ...(typeof resumeJobName === 'string' ? { resumeJobName } : {}),
      saveJobName: (jobName) =>
        ctx.saveHandle({
          jobName,
          [LEFT_RUNNING_KEY]: leftRunning(
            ctx.config,
            `training job ${jobName}`,
            `aws sagemaker stop-training-job --training-job-name ${jobName}`,
          ),
        }),
      logFile,
      step: ctx.step,
      progress: ctx.progress,
      log: ctx.log,
      signal: ctx.signal,
    });
    const { trainingSeconds, billableSeconds, ...made } = result;
    const metrics = Object.entries(result.finalMetrics).map(([name, value]) => `${name}=${value}`);
    ctx.log(
      `${result.jobName} completed in ${trainingSeconds}s (${billableSeconds}s billable)${metrics.length > 0 ? `: ${metrics.join(' ')}` : ''}`,
    );
    return {
      ...made,
      imageUri,
      [REPORT_KEY]: { trainingSeconds, billableSeconds, logFile: relative(ctx.projectDir, logFile) },
    };
  },
  checkConfig: async (config) => {
    const { trainingRequestProblems } = await import('../src/sagemaker/request-check.js');
    return trainingRequestProblems(config);
  },
  drift: async ({ config, stateDir, outputs, mayStart }) => {
    const { jobName, modelArtifact } = outputs;
    if (typeof jobName !== 'string' || typeof modelArtifact !== 'string') return undefined;
    const { driftLooksFor, trainingDrift } = await import('../src/sagemaker/drift.js');
    const looks = await driftLooksFor(config, stateDir, mayStart);
    return looks ? trainingDrift(looks, jobName, modelArtifact) : undefined;
  },
};
