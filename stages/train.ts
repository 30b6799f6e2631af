// train: a SageMaker training job on the pushed image and the uploaded channels; its name is
// saved before the wait so that an interrupted run re-attaches to the same job.
import { join, relative } from 'node:path';
import { LEFT_RUNNING_KEY, REPORT_KEY, type Stage, type StageOutputs } from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';
import { readPushOutputs } from './push.js';
import { readUploadOutputs } from './upload.js';

/** What train records: the job, its model artifact, the image it ran, its final metrics. */
export const readTrainOutputs = outputReader('train', {
  jobName: 'string',
  modelArtifact: 'string',
  imageUri: 'string',
  report: 'object?',
});
export type TrainOutputs = ReturnType<typeof readTrainOutputs>;

export const train: Stage = {
  name: 'train',
  description: 'run the SageMaker training job',
  needs: ['push', 'upload'],
  version: 2,
  inputs: (config) => ({
    config: {
      training: config.training,
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
    const resumeJobName = ctx.resumeHandle?.jobName;
    const logFile = join(pipelinePaths.runFiles(ctx.stateDir, ctx.runId), 'train.log');
    const result = await runTrainingJob({
      connection,
      config: ctx.config,
      imageUri,
      channelUris: Object.fromEntries(Object.entries(uploaded.channels).map(([name, c]) => [name, c.s3Uri])),
      bucket: uploaded.bucket,
      ...(typeof resumeJobName === 'string' ? { resumeJobName } : {}),
      saveJobName: (jobName) =>
        ctx.saveHandle({
          jobName,
          [LEFT_RUNNING_KEY]:
            `The training job ${jobName} keeps running: \`pipeline run\` re-attaches to it. ` +
            `To stop it instead: aws sagemaker stop-training-job --training-job-name ${jobName}` +
            (ctx.config.target !== 'local'
              ? ''
              : ctx.config.local.endpoint
                ? ` --endpoint-url ${ctx.config.local.endpoint}`
                : ' --endpoint-url (see .pipeline/local/server.json)'),
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
