// `pipeline init`: a commented pipeline.yaml for a container that already exists. It finds the
// Dockerfile (and lists its build arguments), makes a data channel of each folder under the data
// folder (or one `training` channel of its files; never the folder of the invoke data), with a
// label column writes an evaluate section whose label format it reads off that column, checks the
// result as `pipeline validate` would, and adds .pipeline/ to .gitignore. It never overwrites a
// pipeline.yaml.
import type { Dirent } from 'node:fs';
import { appendFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Stage } from '../../engine/stage.js';
import { readEvaluationData } from '../../review/evaluation-data.js';
import { pathExists } from '../../shared/path-exists.js';
import { isWithin } from '../../shared/path-within.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';
import { loadForCommand, stageConfigErrors } from '../open-pipeline.js';

export interface InitOptions {
  file: string;
  container?: string;
  /** Default `data`; asked on a terminal when not given. */
  data?: string;
  name?: string;
  contentType: string;
  invokeData?: string;
  /** The column of the invoke data holding each row's label: a header name or an index. */
  labelColumn?: string;
  /** The invoke data's first line names its columns. */
  header: boolean;
  json: boolean;
  /** Ask nothing: what is not given takes its default. */
  yes: boolean;
}

/**
 * On a terminal, asks for what the flags did not say (Enter takes the default shown); elsewhere
 * (CI, a pipe, --yes, --json) asks nothing.
 */
async function askForTheRest(options: InitOptions, io: CliIo): Promise<InitOptions> {
  if (!io.stdin?.isTTY || options.yes || options.json) return options;
  const prompt = createInterface({ input: io.stdin, output: io.stderr });
  // Lines through the iterator, which keeps those typed ahead of their question (a pasted block
  // of answers); the end of input (Ctrl-D) takes the defaults.
  const lines = prompt[Symbol.asyncIterator]();
  const ask = async (question: string, fallback = ''): Promise<string> => {
    prompt.setPrompt(fallback ? `${question} [${fallback}]: ` : `${question}: `);
    prompt.prompt();
    const line = await lines.next();
    return (line.done ? '' : String(line.value).trim()) || fallback;
  };
  try {
    const asked = { ...options };
    if (asked.data === undefined)
      asked.data = await ask('Training data folder (each subfolder is a channel)', 'data');
    if (asked.invokeData === undefined) {
      const rows = await ask('Rows to send the endpoint after each deployment (a file; Enter for none)');
      if (rows) asked.invokeData = rows;
    }
    if (asked.invokeData !== undefined && asked.labelColumn === undefined) {
      if (!asked.header)
        asked.header = /^y(es)?$/i.test(await ask('Does its first line name the columns? (y/N)', 'n'));
      const column = await ask(
        'Its label column, to score the answers (an index from 0, or a header name; Enter for none)',
      );
      if (column) asked.labelColumn = column;
    }
    return asked;
  } finally {
    prompt.close();
  }
}

const SKIPPED = new Set(['node_modules', '.git', '.pipeline', 'dist']);

/** Whether a folder entry is a file, or a link to one (a Dockerfile shared between images). */
async function isFileOrLinkToOne(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  return stat(join(dir, entry.name)).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** Dockerfiles under `dir`, two levels deep at most, nearest first. */
async function findDockerfiles(dir: string, depth = 0): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const here: string[] = [];
  for (const entry of entries)
    if (entry.name === 'Dockerfile' && (await isFileOrLinkToOne(dir, entry)))
      here.push(join(dir, entry.name));
  if (depth >= 2) return here;
  const below: string[] = [];
  for (const entry of entries
    .filter((e) => e.isDirectory() && !SKIPPED.has(e.name))
    .sort((a, b) => a.name.localeCompare(b.name)))
    below.push(...(await findDockerfiles(join(dir, entry.name), depth + 1)));
  return [...here, ...below];
}

/** A SageMaker resource name made of the folder's name: letters, digits and hyphens. */
const resourceNameOf = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'model';

/**
 * Each subfolder of the data folder is a channel, except the one holding the invoke data (rows
 * kept for evaluation are not trained on); a folder of files alone is `training`.
 */
async function channelsOf(
  projectDir: string,
  dataDir: string,
  invokeData: string | undefined,
  heldOut: string | undefined,
): Promise<Record<string, string>> {
  const entries = await readdir(resolve(projectDir, dataDir), { withFileTypes: true });
  const holdsInvokeData = (folder: string) =>
    folder === heldOut ||
    (invokeData !== undefined && !relative(join(dataDir, folder), invokeData).startsWith('..'));
  const folders = entries
    .filter((entry) => entry.isDirectory() && !holdsInvokeData(entry.name))
    .map((entry) => entry.name)
    .sort();
  if (folders.length === 0) return { training: dataDir };
  if (folders.length > MAX_CHANNELS)
    throw new InitRefusal(
      `${dataDir} holds ${folders.length} folders, and a training job takes at most ${MAX_CHANNELS} channels (one per folder): pass --data DIR, the folder whose subfolders are the channels`,
    );
  const channels: Record<string, string> = {};
  for (const folder of folders) {
    // The folder's name as a channel name (letters, digits, . - _), made unique; its path as it is.
    const base = channelNameOf(folder);
    let name = base;
    for (let count = 2; name in channels; count++) name = `${base.slice(0, 60)}-${count}`;
    channels[name] = `${dataDir}/${folder}`;
  }
  return channels;
}

/** Folder names that say their rows are held out for evaluation, not for training. */
const HELD_OUT = /^(eval|evaluation|evaluate|holdout|held[-_]?out|invoke|inference)$/i;

/**
 * Without --invoke-data, a subfolder of the data folder named as held-out rows (eval, holdout,
 * inference, …) is never a channel: held-out rows must not be trained on. Which of its files to
 * send, and whether they hold a header or the labels, init cannot tell: the user says so.
 */
async function heldOutFolder(projectDir: string, dataDir: string): Promise<string | undefined> {
  const entries = await readdir(resolve(projectDir, dataDir), { withFileTypes: true });
  return entries.find((entry) => entry.isDirectory() && HELD_OUT.test(entry.name))?.name;
}

/** SageMaker's channel names: at most 64 of A-Z a-z 0-9 . - _ */
const channelNameOf = (folder: string): string =>
  folder
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64) || 'channel';

const MAX_CHANNELS = 20;

/** What init cannot write, said to the user (exit 2). */
class InitRefusal extends Error {}

const quoted = (text: string): string => JSON.stringify(text);

interface DockerfileFacts {
  /** ARG names with their defaults (undefined: none). */
  args: [string, string | undefined][];
  /** A RUN step fetches packages (apt-get, pip, npm, curl...): the build needs a network. */
  fetches: boolean;
}

async function readDockerfile(path: string): Promise<DockerfileFacts> {
  // Continuation lines joined, so that a RUN over several lines is one instruction.
  const text = (await readFile(path, 'utf8')).replace(/\\\r?\n/g, ' ');
  const args = [...text.matchAll(/^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?/gim)].map(
    (match): [string, string | undefined] => [match[1] as string, match[2]],
  );
  const fetches = /^\s*RUN\b.*\b(apt-get|apt|apk|yum|dnf|pip3?|npm|curl|wget|git)\s/im.test(text);
  return { args: [...new Map(args)], fetches };
}

interface EvaluateSettings {
  labelColumn: string | number;
  labelFormat: 'index' | 'name';
  classNames?: string[];
}

/**
 * The evaluate section for a label column of the invoke data: class indexes when every label is
 * a whole number, else class names (in sorted order, which the container's answers must use).
 */
async function evaluateSettings(
  projectDir: string,
  invokeData: string,
  column: string,
  header: boolean,
  contentType: string,
): Promise<EvaluateSettings> {
  const labelColumn = /^-?\d+$/.test(column) ? Number(column) : column;
  const text = await readFile(resolve(projectDir, invokeData), 'utf8');
  const { labels = [] } = readEvaluationData(text, invokeData, { header, contentType, labelColumn });
  const classes = [...new Set(labels)].sort();
  if (classes.every((label) => /^\d+$/.test(label))) return { labelColumn, labelFormat: 'index' };
  return { labelColumn, labelFormat: 'name', classNames: classes };
}

function buildSection(facts: DockerfileFacts): string {
  const lines: string[] = [];
  if (facts.args.length > 0) {
    lines.push(
      "  # The Dockerfile's build arguments (--build-arg), shown with its defaults:",
      '  # buildArgs:',
    );
    for (const [name, value] of facts.args) lines.push(`  #   ${name}: ${value ?? '...'}`);
  }
  if (facts.fetches)
    lines.push(
      '  # A RUN step fetches packages: where docker builds without a network of its own, give it the',
      "  # host's (docker build --network host).",
      '  # build:',
      '  #   network: host',
    );
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function evaluateSection(settings: EvaluateSettings | undefined): string {
  if (!settings)
    return `
# evaluate:
#   labelColumn: 0             # the column of invoke.data holding each row's label
#   labelFormat: index         # index, name (with classNames) or one-hot
#   gates:
#     - accuracy >= 0.9
`;
  return `
# Each row's label is taken out of invoke.data (the rest is sent); the answers are scored against it.
evaluate:
  labelColumn: ${typeof settings.labelColumn === 'number' ? settings.labelColumn : quoted(settings.labelColumn)}
  labelFormat: ${settings.labelFormat}
${settings.classNames ? `  classNames: [${settings.classNames.map(quoted).join(', ')}]\n` : ''}  # A missed gate fails the run (exit 1):
  # gates:
  #   - accuracy >= 0.9
`;
}

function pipelineYaml(settings: {
  name: string;
  context: string;
  dockerfile: string;
  channels: Record<string, string>;
  contentType: string;
  invokeData?: string;
  header: boolean;
  dockerfileFacts: DockerfileFacts;
  evaluate?: EvaluateSettings;
}): string {
  const channels = Object.entries(settings.channels)
    .map(
      ([channel, path]) =>
        `  ${channel}:\n    path: ${quoted(path)}\n    contentType: ${quoted(settings.contentType)}\n`,
    )
    .join('');
  return `# The whole path of this model to SageMaker, made by \`pipeline init\`. Change it in a pull request;
# \`pipeline plan\` shows what a change re-runs and why, \`pipeline run\` does it.
name: ${settings.name}

# local: a local SageMaker and S3 on this machine, no AWS account needed. aws: the real thing
# (then set aws.roleArn and aws.bucket).
target: \${PIPELINE_TARGET:-local}
# docker runs the image as SageMaker does; process runs its train/serve programs on this machine.
runtime: auto

aws:
  region: \${AWS_REGION:-us-east-1}
  # roleArn: arn:aws:iam::123456789012:role/SageMakerExecutionRole
  # bucket: my-sagemaker-bucket

image:
  name: ${settings.name}
  context: ${quoted(settings.context)}
  dockerfile: ${quoted(settings.dockerfile)}
${buildSection(settings.dockerfileFacts)}
# Each channel becomes /opt/ml/input/data/CHANNEL in the training job (and in local-test).
data:
${channels}
training:
  instanceType: ml.m5.large
  # Written to /opt/ml/input/config/hyperparameters.json, every value as a string.
  hyperparameters: {}
  # metricDefinitions:
  #   - name: accuracy
  #     regex: 'accuracy=([0-9.]+)'

localTest:
  # Overrides for the quick local run, such as fewer epochs.
  hyperparameters: {}

deploy:
  instanceType: ml.t2.medium
  instanceCount: 1
${
  settings.invokeData
    ? `
# Rows sent to the endpoint after each deployment; their answers are kept with the run.
invoke:
  data: ${quoted(settings.invokeData)}
  contentType: ${quoted(settings.contentType)}
  accept: ${quoted(settings.contentType)}
${settings.header ? '  header: true # the first line names the columns: never sent\n' : ''}${evaluateSection(settings.evaluate)}`
    : `
# invoke:
#   data: data/eval.csv        # rows sent to the endpoint after each deployment
#   contentType: text/csv
#   accept: text/csv
`
}`;
}

/** Adds `.pipeline/` to the .gitignore beside pipeline.yaml, unless it is there. */
async function ignoreStateFolder(projectDir: string): Promise<boolean> {
  const file = join(projectDir, '.gitignore');
  const text = await readFile(file, 'utf8').catch(() => '');
  if (
    text
      .split(/\r?\n/)
      .some((line) => ['.pipeline', '.pipeline/', '/.pipeline', '/.pipeline/'].includes(line.trim()))
  )
    return false;
  await appendFile(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}.pipeline/\n`);
  return true;
}

export async function initCommand(
  given: InitOptions,
  io: CliIo,
  stages: readonly Stage[],
): Promise<CliFailure | undefined> {
  const file = given.file;
  const projectDir = dirname(file);
  if (await pathExists(file))
    return {
      reason: 'usage',
      message: `${relative(io.cwd ?? process.cwd(), file) || file} exists: pipeline init never overwrites it`,
    };
  const options = await askForTheRest(given, io);
  const containerDir = options.container ? resolve(io.cwd ?? process.cwd(), options.container) : projectDir;
  const dockerfiles = await findDockerfiles(containerDir);
  const dockerfile = dockerfiles[0];
  if (!dockerfile)
    return {
      reason: 'usage',
      message: `no Dockerfile in ${relative(projectDir, containerDir) || '.'} or the folders below it: pass --container DIR, the folder of your container's Dockerfile`,
    };
  // Every path it writes is inside the project: a pipeline.yaml that reaches outside its folder
  // is not one a teammate's clone can run.
  const outside = (path: string) => !isWithin(projectDir, resolve(projectDir, path));
  if (outside(relative(projectDir, containerDir)))
    return {
      reason: 'usage',
      message: `--container ${options.container}: not inside ${projectDir}, the project's folder`,
    };
  const dataDir = relative(projectDir, resolve(io.cwd ?? process.cwd(), options.data ?? 'data')) || '.';
  if (outside(dataDir))
    return {
      reason: 'usage',
      message: `--data ${options.data}: not inside ${projectDir}, the project's folder`,
    };
  const dataExists = await stat(resolve(projectDir, dataDir)).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!dataExists)
    return {
      reason: 'usage',
      message: `no data folder ${dataDir}: pass --data DIR, the folder of your training data (each subfolder becomes a channel)`,
    };
  const heldOut = options.invokeData ? undefined : await heldOutFolder(projectDir, dataDir);
  const invokeData = options.invokeData
    ? relative(projectDir, resolve(io.cwd ?? process.cwd(), options.invokeData))
    : undefined;
  if (invokeData !== undefined && outside(invokeData))
    return {
      reason: 'usage',
      message: `--invoke-data ${options.invokeData}: not inside ${projectDir}, the project's folder`,
    };
  if (invokeData !== undefined && !(await pathExists(resolve(projectDir, invokeData))))
    return {
      reason: 'usage',
      message: `no invoke data ${invokeData}: pass --invoke-data FILE, rows to send`,
    };
  if (options.labelColumn !== undefined && invokeData === undefined)
    return {
      reason: 'usage',
      message: '--label-column names a column of the invoke data: pass --invoke-data FILE too',
    };
  let evaluate: EvaluateSettings | undefined;
  if (options.labelColumn !== undefined && invokeData !== undefined) {
    try {
      evaluate = await evaluateSettings(
        projectDir,
        invokeData,
        options.labelColumn,
        options.header,
        options.contentType,
      );
    } catch (error) {
      return {
        reason: 'usage',
        message: `--label-column ${options.labelColumn}: ${(error as Error).message}`,
      };
    }
  }
  let channels: Record<string, string>;
  try {
    channels = await channelsOf(projectDir, dataDir, invokeData, heldOut);
  } catch (error) {
    if (error instanceof InitRefusal) return { reason: 'usage', message: error.message };
    throw error;
  }
  const yaml = pipelineYaml({
    name: resourceNameOf(options.name ?? basename(projectDir)),
    context: relative(projectDir, dirname(dockerfile)) || '.',
    dockerfile: relative(projectDir, dockerfile),
    dockerfileFacts: await readDockerfile(dockerfile),
    channels,
    contentType: options.contentType,
    header: options.header,
    ...(invokeData !== undefined ? { invokeData } : {}),
    ...(evaluate ? { evaluate } : {}),
  });
  await writeFile(file, yaml, { flag: 'wx' });

  // What it wrote must pass `pipeline validate`; a file that does not is taken back (a second
  // init would refuse to overwrite it), and the problems are shown against what it was.
  const loaded = await loadForCommand({ file, set: [], json: false, verbose: false }, io);
  const refused = loaded.ok ? await stageConfigErrors(stages, loaded.value, io) : loaded.error;
  if (refused) {
    await rm(file, { force: true });
    return { reason: 'config', errors: refused };
  }
  const ignored = await ignoreStateFolder(projectDir);
  const written = relative(io.cwd ?? process.cwd(), file) || file;
  if (options.json)
    writeJson(io.stdout, { file: written, dockerfile: relative(projectDir, dockerfile), gitignore: ignored });
  else {
    writeLine(io.stdout, `wrote ${written} (image from ${relative(projectDir, dockerfile)})`);
    if (ignored) writeLine(io.stdout, 'added .pipeline/ to .gitignore');
    if (heldOut)
      writeLine(
        io.stdout,
        `${join(dataDir, heldOut)} is not a training channel (held-out rows are not trained on): to send its rows after each deployment and score them, run init again with --invoke-data FILE (and --header, --label-column NAME)`,
      );
    if (dockerfiles.length > 1)
      writeLine(
        io.stdout,
        `other Dockerfiles found: ${dockerfiles
          .slice(1)
          .map((f) => relative(projectDir, f))
          .join(', ')}`,
      );
    writeLine(io.stdout, 'next: npx pipeline plan, then npx pipeline run');
  }
  return undefined;
}
