import { join } from 'node:path';
import { uploadedChannels } from '../src/engine/graph/stage-graph.js';
import { REPORT_KEY, type Stage, type StageOutputs } from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import type { Receipts } from '../src/sagemaker/channel-receipts.js';
import { dataBucketOf, dataPrefixOf } from '../src/sagemaker/data-location.js';
import { StageError } from '../src/shared/errors.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';

const readShape = outputReader('upload', { bucket: 'string', channels: 'object' });

/** What upload records: the bucket, and each channel's S3 prefix. */
export interface UploadOutputs {
  bucket: string;
  channels: Record<string, { s3Uri: string }>;
}

/** upload's outputs, for the training job. */
export function readUploadOutputs(outputs: StageOutputs | undefined): UploadOutputs {
  const { bucket, channels } = readShape(outputs);
  const uris: Record<string, { s3Uri: string }> = {};
  for (const [name, channel] of Object.entries(channels)) {
    const s3Uri = (channel as { s3Uri?: unknown } | null)?.s3Uri;
    if (typeof s3Uri !== 'string') {
      throw new StageError(
        `upload's recorded channel ${name} has no s3Uri: run \`pipeline run --from upload\``,
      );
    }
    uris[name] = { s3Uri };
  }
  return { bucket, channels: uris };
}

export const upload: Stage = {
  name: 'upload',
  description: 'upload the data channels to S3',
  needs: [],
  version: 2,
  inputs: (config) => ({
    config: {
      target: config.target,
      data: uploadedChannels(config),
      'aws.region': config.aws.region,
      'aws.bucket': config.aws.bucket,
      'aws.prefix': dataPrefixOf(config),
    },
    files: Object.values(uploadedChannels(config)).map((channel) => ({ path: channel.path })),
  }),
  drift: async ({ config, projectDir, stateDir, outputs, mayStart }) => {
    const { channels, bucket } = readUploadOutputs(outputs);
    const { driftLooksFor, channelDrift } = await import('../src/sagemaker/drift.js');
    const looks = await driftLooksFor(config, stateDir, mayStart);
    if (!looks) return undefined;
    const { readJsonFile } = await import('../src/shared/json-file.js');
    const { receiptId, receiptsFileOf } = await import('../src/sagemaker/channel-receipts.js');
    const receipts = await readJsonFile<Receipts>(
      receiptsFileOf(pipelinePaths.uploadManifest(stateDir, config.target)),
      {},
    );
    for (const [name, { s3Uri }] of Object.entries(channels)) {
      const channel = uploadedChannels(config)[name];
      if (!channel) continue;
      const prefix = s3Uri.slice(`s3://${bucket}/`.length);
      const receipt = receipts[receiptId(bucket, prefix, join(projectDir, channel.path))];
      const drift = await channelDrift(looks, s3Uri, receipt);
      if (drift) return `channel ${name}: ${drift}`;
    }
    return undefined;
  },
  run: async (ctx): Promise<StageOutputs> => {
    const { config } = ctx;
    const { connect } = await import('../src/sagemaker/aws-connection.js');
    const { uploadChannels } = await import('../src/sagemaker/upload-channels.js');
    const bucket = dataBucketOf(config);
    if (!bucket) throw new StageError('aws.bucket is not set: the data needs a bucket to go to');
    ctx.step('connecting');
    const connection = await connect(config, ctx.stateDir);
    const result = await uploadChannels({
      connection,
      bucket,
      prefix: dataPrefixOf(config),
      channels: uploadedChannels(config),
      projectDir: ctx.projectDir,
      manifestFile: pipelinePaths.uploadManifest(ctx.stateDir, config.target),
      createBucket: config.target === 'local',
      hasher: ctx.files,
      step: ctx.step,
      progress: ctx.progress,
      log: ctx.log,
      signal: ctx.signal,
    });
    const { channels, ...report } = result;
    return { bucket, channels: { ...channels }, [REPORT_KEY]: report };
  },
};
