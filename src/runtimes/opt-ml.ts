// /opt/ml as SageMaker lays it out for a job's container, written in one place for every job
// that runs here (the local SageMaker's training jobs, local-test's job folder): the config files
// with SageMaker's own keys and value types, the data channels' folders, and the model and output
// folders the container writes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const optMl = {
  config: (mlDir: string): string => join(mlDir, 'input', 'config'),
  channel: (mlDir: string, channel: string): string => join(mlDir, 'input', 'data', channel),
  model: (mlDir: string): string => join(mlDir, 'model'),
  output: (mlDir: string): string => join(mlDir, 'output'),
  outputData: (mlDir: string): string => join(mlDir, 'output', 'data'),
  /** Where a failing container says why: SageMaker's FailureReason. */
  failure: (mlDir: string): string => join(mlDir, 'output', 'failure'),
} as const;

/** A channel as inputdataconfig.json describes it. */
export interface ChannelDescription {
  name: string;
  contentType?: string;
  /** FullyReplicated or ShardedByS3Key. */
  distribution: string;
}

/** input/config/inputdataconfig.json: each channel read in File mode. */
export async function writeInputDataConfig(
  mlDir: string,
  channels: readonly ChannelDescription[],
): Promise<void> {
  await mkdir(optMl.config(mlDir), { recursive: true });
  const described = Object.fromEntries(
    channels.map((channel) => [
      channel.name,
      {
        ...(channel.contentType ? { ContentType: channel.contentType } : {}),
        TrainingInputMode: 'File',
        S3DistributionType: channel.distribution,
        RecordWrapperType: 'None',
      },
    ]),
  );
  await writeFile(join(optMl.config(mlDir), 'inputdataconfig.json'), `${JSON.stringify(described)}\n`);
}

/** The host names of a job on `instanceCount` instances, as SageMaker names them: algo-1, algo-2, … */
export const trainingHosts = (instanceCount: number): string[] =>
  Array.from({ length: instanceCount }, (_, index) => `algo-${index + 1}`);

/** input/config/resourceconfig.json: the hosts of the job, and which of them this container is. */
export async function writeResourceConfig(
  mlDir: string,
  hosts: readonly string[],
  currentHost = hosts[0] ?? 'algo-1',
): Promise<void> {
  await mkdir(optMl.config(mlDir), { recursive: true });
  await writeFile(
    join(optMl.config(mlDir), 'resourceconfig.json'),
    `${JSON.stringify({ current_host: currentHost, hosts, network_interface_name: 'eth0' })}\n`,
  );
}

/** input/config/hyperparameters.json: every value a string, as SageMaker writes them. */
export async function writeHyperparameters(
  mlDir: string,
  values: Readonly<Record<string, string>>,
): Promise<void> {
  await mkdir(optMl.config(mlDir), { recursive: true });
  await writeFile(join(optMl.config(mlDir), 'hyperparameters.json'), `${JSON.stringify(values, null, 2)}\n`);
}

/** The folders a training container writes: model/ and output/data/. */
export async function makeOutputFolders(mlDir: string): Promise<void> {
  await mkdir(optMl.model(mlDir), { recursive: true });
  await mkdir(optMl.outputData(mlDir), { recursive: true });
}
