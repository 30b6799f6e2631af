// The example model's compiled programs (container/dist), built once for the tests that run them
// as real processes, and job folders laid out as SageMaker lays out /opt/ml.
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { generateSamples } from '../../src/example/generate-example-data.js';
import { prepareBuildContext } from '../../src/runtimes/prepare-build-context.js';
import { repoRoot, TestProject } from './project.js';

export const containerDir = join(repoRoot, 'container');

let prepared: Promise<void> | undefined;
/** npm ci (when needed) and npm run build in container/, once per test process. */
export function prepareExampleModel(): Promise<void> {
  prepared ??= prepareBuildContext(
    containerDir,
    () => undefined,
    () => undefined,
  );
  return prepared;
}

/** The example's channels as local folders, uploaded by the upload stage, without its prepare stage. */
const PATH_CHANNELS = `data:
  training:
    path: context/input/data/training
    contentType: text/csv
  validation:
    path: context/input/data/validation
    contentType: text/csv

`;

/**
 * The example's pipeline.yaml; with `channels: 'paths'`, its data channels are the local folders
 * the upload stage sends (for the tests of upload and local-test), instead of the outputs of its
 * prepare stage.
 */
export async function examplePipelineYaml(channels: 'prepare' | 'paths' = 'prepare'): Promise<string> {
  const yaml = await readFile(join(repoRoot, 'pipeline.yaml'), 'utf8');
  if (channels === 'prepare') return yaml;
  const start = yaml.indexOf('# Each channel becomes');
  const end = yaml.indexOf('# The image trained and served');
  if (start === -1 || end === -1)
    throw new Error(
      "the example's pipeline.yaml no longer has its data and stages sections where the rig expects them",
    );
  return `${yaml.slice(0, start)}${PATH_CHANNELS}${yaml.slice(end)}`;
}

/** A project with the repository's pipeline.yaml, context/ and data/, built from its container/. */
export async function exampleProject(channels: 'prepare' | 'paths' = 'prepare'): Promise<TestProject> {
  const yaml = (await examplePipelineYaml(channels))
    .replace('context: container\n', `context: ${containerDir}\n`)
    .replace('dockerfile: container/Dockerfile\n', `dockerfile: ${join(containerDir, 'Dockerfile')}\n`);
  const project = await TestProject.create({ 'pipeline.yaml': yaml });
  await cp(join(repoRoot, 'context'), project.path('context'), { recursive: true });
  await cp(join(repoRoot, 'data'), project.path('data'), { recursive: true });
  return project;
}

/**
 * The example with a command stage before its prepare stage: `gather` copies the raw rows into
 * data/raw (its out), and prepare's processing job reads them from there. A chain of a command, a
 * processing job and the training job that reads the job's output in S3.
 */
export async function addGatherStage(project: TestProject): Promise<void> {
  const yaml = (await project.read('pipeline.yaml'))
    .replace(
      'stages:\n',
      `stages:
  gather:
    description: collect the raw rows
    command: sh gather.sh
    deps: [gather.sh, context/input/data/training]
    outs: { rows: data/raw }
`,
    )
    .replace('raw: { path: context/input/data/training }', 'raw: { from: gather.rows }');
  if (!yaml.includes('raw: { from: gather.rows }'))
    throw new Error("the example's prepare stage no longer reads raw: { path: context/input/data/training }");
  await project.write({
    'pipeline.yaml': yaml,
    'gather.sh': 'mkdir -p data/raw\ncp context/input/data/training/trainset.csv data/raw/rows.csv\n',
  });
}

export interface JobFolder {
  hyperparameters?: Record<string, string>;
  channels: Record<string, Record<string, string>>;
}

/** Writes input/config/*.json and input/data/CHANNEL/* under dir, as SageMaker does. */
export async function writeJobFolder(dir: string, job: JobFolder): Promise<void> {
  await mkdir(join(dir, 'input', 'config'), { recursive: true });
  await mkdir(join(dir, 'model'), { recursive: true });
  await mkdir(join(dir, 'output'), { recursive: true });
  await writeFile(join(dir, 'input/config/hyperparameters.json'), JSON.stringify(job.hyperparameters ?? {}));
  const channelConfig = {
    ContentType: 'text/csv',
    TrainingInputMode: 'File',
    S3DistributionType: 'FullyReplicated',
  };
  await writeFile(
    join(dir, 'input/config/inputdataconfig.json'),
    JSON.stringify(Object.fromEntries(Object.keys(job.channels).map((name) => [name, channelConfig]))),
  );
  await writeFile(
    join(dir, 'input/config/resourceconfig.json'),
    JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: 'eth0' }),
  );
  for (const [channel, files] of Object.entries(job.channels)) {
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, 'input/data', channel, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
  }
}

/** Runs the compiled `train` program against a job folder. */
export function runTrain(mlDir: string, env: Record<string, string> = {}) {
  return execa('node', [join(containerDir, 'dist', 'train.js')], {
    env: { OPT_ML: mlDir, ...env },
    reject: false,
    all: true,
  });
}

/** Training rows in the example's format (features, then a one-hot label), from the seeded generator. */
export function labelledCsv(count: number, seed = 1): string {
  return generateSamples(count, seed)
    .map((s) => [...s.features, s.label === 0 ? 1 : 0, s.label === 1 ? 1 : 0].join(','))
    .join('\n');
}
