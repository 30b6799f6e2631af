// The hosts of a training job, as SageMaker lays them out: one instance each (algo-1, algo-2, …)
// with an /opt/ml of its own, its channels (all of a FullyReplicated channel's objects, its share
// of a ShardedByS3Key one's) and a resourceconfig.json that names it. After the job the hosts'
// model and output folders are one archive each, as SageMaker packs them: "if multiple containers
// in a single training job write to this directory they should ensure no file/directory names
// clash" (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-output.html).
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeOutputFolders,
  optMl,
  writeHyperparameters,
  writeInputDataConfig,
  writeResourceConfig,
} from '../../runtimes/opt-ml.js';
import { downloadInput, type StoredObjects } from '../s3/s3-transfer.js';
import type { TrainingJob } from './training-job-record.js';

export interface TrainingHost {
  name: string;
  /** Its position, 0 for algo-1: which share of a sharded channel it gets. */
  index: number;
  /** Its /opt/ml. */
  mlDir: string;
}

/**
 * The job's hosts. A job on one instance keeps its /opt/ml at `mlDir` itself; on several, each
 * host has `mlDir`-HOST beside it.
 */
export function hostsOf(hostNames: readonly string[], mlDir: string): TrainingHost[] {
  return hostNames.map((name, index) => ({
    name,
    index,
    mlDir: hostNames.length === 1 ? mlDir : `${mlDir}-${name}`,
  }));
}

/** A host's /opt/ml before its container starts: channels down from S3, the config files written. */
export async function prepareHost(
  job: TrainingJob,
  host: TrainingHost,
  hostNames: readonly string[],
  objects: StoredObjects,
  scratch: string,
): Promise<void> {
  for (const channel of job.InputDataConfig ?? []) {
    const { S3Uri, S3DataType, S3DataDistributionType } = channel.DataSource.S3DataSource;
    const target = optMl.channel(host.mlDir, channel.ChannelName);
    const shard =
      S3DataDistributionType === 'ShardedByS3Key' && hostNames.length > 1
        ? { index: host.index, count: hostNames.length }
        : undefined;
    await downloadInput(
      objects,
      { S3Uri, S3DataType },
      target,
      join(scratch, 'manifests', host.name, channel.ChannelName),
      shard,
    );
  }
  await writeInputDataConfig(
    host.mlDir,
    (job.InputDataConfig ?? []).map((channel) => ({
      name: channel.ChannelName,
      ...(channel.ContentType ? { contentType: channel.ContentType } : {}),
      distribution: channel.DataSource.S3DataSource.S3DataDistributionType ?? 'FullyReplicated',
    })),
  );
  await writeHyperparameters(host.mlDir, job.HyperParameters ?? {});
  await writeResourceConfig(host.mlDir, hostNames, host.name);
  await makeOutputFolders(host.mlDir);
}

/**
 * One folder holding what every host wrote under `folderOf(host)`, in host order (a later host's
 * file replaces an earlier one's of the same name): the host's own folder when there is one host.
 */
export async function mergedFolder(
  hosts: readonly TrainingHost[],
  folderOf: (mlDir: string) => string,
  into: string,
): Promise<string> {
  const [only] = hosts;
  if (hosts.length === 1 && only) return folderOf(only.mlDir);
  await rm(into, { recursive: true, force: true });
  await mkdir(into, { recursive: true });
  for (const host of hosts)
    await cp(folderOf(host.mlDir), into, { recursive: true, force: true }).catch((error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  return into;
}
