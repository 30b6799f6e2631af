// A training job's checkpoints, as SageMaker keeps them with CheckpointConfig: the objects under
// its S3Uri are in /opt/ml/checkpoints when the job starts (a resumed job continues from them),
// and what the job writes there goes to S3 while it runs and once more when it ends, so that a
// stopped or interrupted job leaves its last checkpoint behind.
// https://docs.aws.amazon.com/sagemaker/latest/dg/model-checkpoints.html
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { listFiles } from '../../shared/list-files.js';
import { downloadPrefix, type StoredObjects, uploadFiles } from '../s3/s3-transfer.js';

/** How often the folder is looked at for new or changed checkpoints while the job runs. */
const SYNC_EVERY_MS = 1000;

export interface CheckpointSync {
  /** Uploads what is new or changed once more, and stops looking. */
  finish(): Promise<void>;
}

/** Downloads the checkpoints under s3Uri into dir, then uploads what changes there until finish(). */
export async function startCheckpointSync(
  s3: S3Client,
  objects: StoredObjects,
  s3Uri: string,
  dir: string,
): Promise<CheckpointSync> {
  const prefixUri = s3Uri.endsWith('/') ? s3Uri : `${s3Uri}/`;
  await downloadPrefix(objects, prefixUri, dir);
  // Each file's size and modification time when it was last uploaded (or downloaded).
  const sent = new Map<string, string>();
  const changed = async (): Promise<string[]> => {
    const files = (await listFiles(dir).catch(() => [] as string[])).map((file) => relative(dir, file));
    const fresh: string[] = [];
    for (const file of files) {
      const info = await stat(join(dir, file)).catch(() => undefined);
      if (!info) continue;
      const version = `${info.size}:${info.mtimeMs}`;
      if (sent.get(file) !== version) {
        sent.set(file, version);
        fresh.push(file);
      }
    }
    return fresh;
  };
  await changed();
  let syncing: Promise<void> = Promise.resolve();
  const sync = () => {
    syncing = syncing.then(async () => uploadFiles(s3, dir, await changed(), prefixUri));
    return syncing;
  };
  const timer = setInterval(() => void sync().catch(() => undefined), SYNC_EVERY_MS);
  timer.unref();
  return {
    async finish() {
      clearInterval(timer);
      await sync();
    },
  };
}
