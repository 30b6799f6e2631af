// A user stage of kind processing: a SageMaker Processing job on the pipeline's image (or
// another), its inputs uploaded or read where they are in S3, its outputs left in S3 for the
// stages after it (and downloaded where asked). Like train, its job name is saved before the
// wait, and an interrupted run re-attaches to the same job.
import { join, relative, resolve } from 'node:path';
import type { CreateProcessingJobRequest } from '@aws-sdk/client-sagemaker';
import type { PipelineConfig } from '../src/engine/config/pipeline-config.js';
import { parseReference, type UserStageSettings } from '../src/engine/graph/stage-graph.js';
import {
  LEFT_RUNNING_KEY,
  REPORT_KEY,
  type Stage,
  type StageContext,
  type StageOutputs,
} from '../src/engine/stage.js';
import { StageError } from '../src/shared/errors.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';
import { hashOut, localOutDrift } from './command-stage.js';
import { readPushOutputs } from './push.js';
import {
  locateOut,
  type RecordedOut,
  readUserOuts,
  resolvedParams,
  sharedInputs,
  userStageNeeds,
} from './user-stage.js';

type ProcessingSettings = NonNullable<UserStageSettings['processing']>;

export function processingStage(
  name: string,
  settings: UserStageSettings,
  processing: ProcessingSettings,
  _config: PipelineConfig,
  builtIns: readonly Stage[],
): Stage {
  return {
    name,
    description: settings.description ?? `the processing job ${name}`,
    needs: userStageNeeds(settings, builtIns),
    version: 1,
    userDefined: true,
    inputs: (config) => ({
      config: {
        [`stages.${name}.processing`]: processing,
        ...sharedInputs(name, settings, config),
        target: config.target,
        'aws.roleArn': config.aws.roleArn,
        'aws.prefix': config.aws.prefix,
      },
      files: [
        ...settings.deps.flatMap((dep) => (typeof dep === 'string' ? [{ path: dep }] : [])),
        ...Object.values(processing.inputs).flatMap((input) =>
          input.path !== undefined ? [{ path: input.path }] : [],
        ),
      ],
    }),
    run: (ctx) => runProcessingStage(ctx, name, settings, processing, builtIns),
    drift: async ({ config, projectDir, stateDir, outputs, files, mayStart }) => {
      const recorded = readUserOuts(name, outputs);
      const downloaded = await localOutDrift(
        name,
        recorded,
        files,
        projectDir,
        (out) => `the download of its output ${out}`,
      );
      if (downloaded) return downloaded;
      // What the job left in S3, which later stages read there: still as it was?
      const { driftLooksFor, channelDrift } = await import('../src/sagemaker/drift.js');
      const looks = await driftLooksFor(config, stateDir, mayStart);
      if (!looks) return undefined;
      for (const [out, made] of Object.entries(recorded)) {
        if (!made.s3Uri || !made.remoteDigest || !made.objects) continue;
        const drift = await channelDrift(
          looks,
          `${made.s3Uri}/`,
          { remoteDigest: made.remoteDigest },
          'its job',
        );
        if (drift) return `its output ${out}: ${drift}`;
      }
      return undefined;
    },
  };
}

async function runProcessingStage(
  ctx: StageContext,
  name: string,
  settings: UserStageSettings,
  processing: ProcessingSettings,
  builtIns: readonly Stage[],
): Promise<StageOutputs> {
  const { config } = ctx;
  const { connect } = await import('../src/sagemaker/aws-connection.js');
  const { dataBucketOf, dataPrefixOf } = await import('../src/sagemaker/data-location.js');
  const { uniqueResourceName } = await import('../src/shared/poll.js');
  const { executionRoleOf } = await import('../src/sagemaker/execution-role.js');
  const { runProcessingJob, PROCESSING_INPUT_DIR, PROCESSING_OUTPUT_DIR } = await import(
    '../src/sagemaker/processing-job.js'
  );
  const bucket = dataBucketOf(config);
  if (!bucket)
    throw new StageError('aws.bucket is not set: a processing job needs a bucket for its inputs and outputs');
  const prefix = `${dataPrefixOf(config)}/processing/${name}`;
  ctx.step('connecting');
  const connection = await connect(config, ctx.stateDir);

  // Each input's S3 URI: given, read where another stage's job left it, or uploaded from here.
  const inputUris: Record<string, string> = {};
  const toUpload: Record<string, { path: string; distribution: 'FullyReplicated' }> = {};
  for (const [input, source] of Object.entries(processing.inputs)) {
    if (source.s3Uri !== undefined) inputUris[input] = source.s3Uri;
    else if (source.path !== undefined)
      toUpload[input] = { path: source.path, distribution: 'FullyReplicated' };
    else if (source.from !== undefined) {
      const where = locateOut(parseReference(source.from), ctx.upstream, builtIns);
      if (where.s3Uri !== undefined) inputUris[input] = where.s3Uri;
      else toUpload[input] = { path: where.path as string, distribution: 'FullyReplicated' };
    }
  }
  const { ensureBucket } = await import('../src/sagemaker/upload-channels.js');
  // Its outputs go to the bucket even when nothing is uploaded first.
  await ensureBucket(connection, bucket, config.target === 'local');
  if (Object.keys(toUpload).length > 0) {
    const { uploadChannels } = await import('../src/sagemaker/upload-channels.js');
    const uploaded = await uploadChannels({
      connection,
      bucket,
      prefix: `${prefix}/input`,
      channels: toUpload,
      projectDir: ctx.projectDir,
      manifestFile: pipelinePaths.uploadManifest(ctx.stateDir, `${config.target}-${name}`),
      createBucket: config.target === 'local',
      hasher: ctx.files,
      step: ctx.step,
      progress: ctx.progress,
      log: ctx.log,
      signal: ctx.signal,
    });
    for (const [input, channel] of Object.entries(uploaded.channels)) inputUris[input] = channel.s3Uri;
  }

  const imageUri = processing.image ?? readPushOutputs(ctx.upstream.push, ctx.projectDir).imageUri;
  const jobName = uniqueResourceName(`${config.name}-${name}`);
  const params = resolvedParams(settings, config);
  const create: CreateProcessingJobRequest = {
    ProcessingJobName: jobName,
    RoleArn: executionRoleOf(config),
    AppSpecification: {
      ImageUri: imageUri,
      ...(processing.entrypoint ? { ContainerEntrypoint: processing.entrypoint } : {}),
      ...(processing.arguments.length > 0 ? { ContainerArguments: processing.arguments } : {}),
    },
    ProcessingInputs: Object.entries(inputUris).map(([input, uri]) => ({
      InputName: input,
      S3Input: {
        S3Uri: uri,
        LocalPath: `${PROCESSING_INPUT_DIR}/${input}`,
        S3DataType: 'S3Prefix',
        S3InputMode: 'File',
      },
    })),
    ...(Object.keys(processing.outputs).length > 0
      ? {
          ProcessingOutputConfig: {
            Outputs: Object.keys(processing.outputs).map((output) => ({
              OutputName: output,
              S3Output: {
                S3Uri: `s3://${bucket}/${prefix}/${jobName}/${output}`,
                LocalPath: `${PROCESSING_OUTPUT_DIR}/${output}`,
                S3UploadMode: 'EndOfJob',
              },
            })),
          },
        }
      : {}),
    ProcessingResources: {
      ClusterConfig: {
        InstanceCount: processing.instanceCount,
        InstanceType: processing.instanceType as never,
        VolumeSizeInGB: processing.volumeSizeGB,
      },
    },
    StoppingCondition: { MaxRuntimeInSeconds: processing.maxRuntimeSeconds },
    ...(Object.keys(processing.environment).length > 0 || Object.keys(params).length > 0
      ? {
          Environment: {
            ...processing.environment,
            ...(Object.keys(params).length > 0 ? { PIPELINE_PARAMS: JSON.stringify(params) } : {}),
          },
        }
      : {}),
    Tags: [
      { Key: 'pipeline', Value: config.name },
      { Key: 'pipeline-stage', Value: name },
    ],
  };
  const logFile = join(pipelinePaths.runFiles(ctx.stateDir, ctx.runId), `${name}.log`);
  const resumeJobName = ctx.resumeHandle?.jobName;
  const endpointHint =
    config.target !== 'local'
      ? ''
      : config.local.endpoint
        ? ` --endpoint-url ${config.local.endpoint}`
        : ' --endpoint-url (see .pipeline/local/server.json)';
  const result = await runProcessingJob({
    connection,
    create,
    ...(typeof resumeJobName === 'string' ? { resumeJobName } : {}),
    saveJobName: (saved) =>
      ctx.saveHandle({
        jobName: saved,
        [LEFT_RUNNING_KEY]:
          `The processing job ${saved} keeps running: \`pipeline run\` re-attaches to it. ` +
          `To stop it instead: aws sagemaker stop-processing-job --processing-job-name ${saved}${endpointHint}`,
      }),
    logFile,
    step: ctx.step,
    log: ctx.log,
    signal: ctx.signal,
  });

  const { listObjects } = await import('../src/sagemaker/remote-listing.js');
  const { remoteDigestOf } = await import('../src/sagemaker/channel-receipts.js');
  const { parseS3Uri } = await import('../src/sagemaker/download-prefix.js');
  const outs: Record<string, RecordedOut> = {};
  for (const [output, settingsOfOutput] of Object.entries(processing.outputs)) {
    const s3Uri = result.outputs[output];
    if (!s3Uri) throw new StageError(`the processing job ${result.jobName} reported no output ${output}`);
    // Its receipt: what the job left, so that a drift check sees it deleted or changed.
    const where = parseS3Uri(s3Uri);
    const objects = await listObjects({
      s3: connection.s3,
      bucket: where.bucket,
      prefix: `${where.prefix}/`,
      signal: ctx.signal,
    });
    outs[output] = { s3Uri, objects: objects.length, remoteDigest: remoteDigestOf(objects) };
    if (settingsOfOutput.download !== undefined) {
      const { downloadPrefix } = await import('../src/sagemaker/download-prefix.js');
      ctx.step(`downloading ${output} to ${settingsOfOutput.download}`);
      const got = await downloadPrefix(
        connection.s3,
        s3Uri,
        resolve(ctx.projectDir, settingsOfOutput.download),
        ctx.signal,
      );
      ctx.log(`downloaded ${output}: ${got.files} files to ${settingsOfOutput.download}`);
      const hash = await hashOut(ctx.files, ctx.projectDir, settingsOfOutput.download);
      outs[output] = { ...outs[output], path: settingsOfOutput.download, ...(hash !== null ? { hash } : {}) };
    }
  }
  ctx.log(`${result.jobName} completed in ${result.seconds}s`);
  return {
    kind: 'processing',
    jobName: result.jobName,
    outs: outs as unknown as StageOutputs,
    [REPORT_KEY]: { seconds: result.seconds, logFile: relative(ctx.projectDir, logFile) },
  };
}
