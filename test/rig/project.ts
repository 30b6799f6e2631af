// The test rig: a temporary project folder with a pipeline.yaml and files, and the CLI run in
// it as a real child process. Every test that touches the engine goes through here.
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { SignalSource } from '../../src/cli/cli-io.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from dist/test/rig/). */
export const repoRoot = join(here, '..', '..', '..');
export const testCli = join(here, 'test-cli.js');
export const realCli = join(repoRoot, 'bin', 'pipeline.js');

export const BASE_CONFIG = `name: rig
image:
  name: rig-image
  context: container
  dockerfile: container/Dockerfile
data:
  training:
    path: data/train.csv
training:
  hyperparameters:
    epochs: 3
    learning_rate: 0.1
deploy:
  instanceType: ml.m5.large
`;

/** Outputs as tests read them: any stage's shape, checked by the assertions themselves. */
// biome-ignore lint/suspicious/noExplicitAny: each test asserts the fields it reads
export type StageOutputsForTest = Record<string, any>;

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A stream that keeps what is written to it, as text. */
class CapturedStream extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export class TestProject {
  private constructor(
    readonly dir: string,
    /** What remove() deletes: the project, or the temporary folder it was made in. */
    private readonly root = dir,
  ) {}

  /** `folder`: the project's own folder name inside the temporary one (a name with a space…). */
  static async create(files: Record<string, string> = {}, folder?: string): Promise<TestProject> {
    const root = await mkdtemp(join(tmpdir(), 'pipeline-test-'));
    const dir = folder ? join(root, folder) : root;
    const project = new TestProject(dir, root);
    await project.write({
      'pipeline.yaml': BASE_CONFIG,
      'container/Dockerfile': 'FROM scratch\n',
      'container/train.ts': 'console.log("train")\n',
      'data/train.csv': '1,2,0\n3,4,1\n',
      'context/input/config/hyperparameters.json': '{}\n',
      ...files,
    });
    return project;
  }

  /** The project moved (`mv`) to `folder` beside where it was, in the same temporary folder. */
  async moveTo(folder: string): Promise<TestProject> {
    const to = join(this.root, folder);
    await rename(this.dir, to);
    return new TestProject(to, this.root);
  }

  /** A copy of the project (`cp -a`, .pipeline/ included) in `folder` of the same temporary folder. */
  async copyTo(folder: string): Promise<TestProject> {
    const to = join(this.root, folder);
    await cp(this.dir, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    return new TestProject(to, this.root);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  async write(files: Record<string, string>): Promise<void> {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(this.path(name)), { recursive: true });
      await writeFile(this.path(name), content);
    }
  }

  read(name: string): Promise<string> {
    return readFile(this.path(name), 'utf8');
  }

  /** The test stages' execution log: one "stage runId [note]" line per execution. */
  async executions(): Promise<string[]> {
    const text = await this.read('.pipeline/test-executions.log').catch(() => '');
    return text.split('\n').filter(Boolean);
  }

  /** Stage names executed since the log had `since` lines. */
  async executedSince(since: number): Promise<string[]> {
    return (await this.executions()).slice(since).map((line) => line.split(' ')[0] as string);
  }

  /** The remote handle a stage's unfinished attempt saved in the state, if any. */
  async savedHandle(stage: string): Promise<Record<string, string> | undefined> {
    const text = await this.read('.pipeline/state.json').catch(() => '{"stages":{}}');
    return JSON.parse(text).stages[stage]?.lastAttempt?.handle;
  }

  /** A stage's outputs from its last success, as the state file holds them. */
  async stageOutputs(stage: string): Promise<StageOutputsForTest> {
    return JSON.parse(await this.read('.pipeline/state.json')).stages[stage]?.lastSuccess?.outputs;
  }

  /** The newest run record: which stages ran, their outputs. */
  async lastRunRecord(): Promise<{
    status: string;
    stages: Record<string, { action: string; durationMs?: number; outputs?: StageOutputsForTest }>;
  }> {
    const files = (await readdir(this.path('.pipeline', 'runs'))).filter((f) => f.endsWith('.json')).sort();
    return JSON.parse(await this.read(join('.pipeline', 'runs', files[files.length - 1] as string)));
  }

  /** Names of the stages the newest run ran. */
  async stagesRan(): Promise<string[]> {
    const record = await this.lastRunRecord();
    return Object.entries(record.stages)
      .filter(([, stage]) => stage.action === 'ran')
      .map(([name]) => name);
  }

  /** Starts the CLI (test stages unless `real`) without waiting for it. */
  spawn(args: string[], options: { env?: Record<string, string>; real?: boolean } = {}): ResultPromise {
    return execa('node', [options.real ? realCli : testCli, ...args], {
      cwd: this.dir,
      env: { NO_COLOR: '1', CI: 'true', ...options.env },
      reject: false,
      stdin: 'ignore',
    });
  }

  async run(
    args: string[],
    options: { env?: Record<string, string>; real?: boolean } = {},
  ): Promise<CliResult> {
    const result = await this.spawn(args, options);
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  /**
   * The CLI's `main` in this process, with this project as its folder and its output captured:
   * the same code as `run`, for commands that need no child process (config errors, validate,
   * review commands), in milliseconds instead of a node start each.
   */
  async runInProcess(
    args: string[],
    options: { env?: Record<string, string>; real?: boolean; signals?: SignalSource } = {},
  ): Promise<CliResult> {
    const [{ main }, { stages }] = await Promise.all([
      import('../../src/cli/main.js'),
      options.real
        ? import('../../stages/index.js')
        : import('./test-stages.js').then((m) => ({ stages: m.testStages })),
    ]);
    const stdout = new CapturedStream();
    const stderr = new CapturedStream();
    const exitCode = await main(args, stages, {
      stdout,
      stderr,
      env: { ...process.env, NO_COLOR: '1', CI: 'true', ...options.env },
      cwd: this.dir,
      ...(options.signals ? { signals: options.signals } : {}),
    });
    return { exitCode, stdout: stdout.text, stderr: stderr.text };
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Runs `use` in a fresh project, and removes the project afterwards whatever happens. */
export async function withProject<T>(
  files: Record<string, string>,
  use: (project: TestProject) => Promise<T>,
): Promise<T> {
  const project = await TestProject.create(files);
  try {
    return await use(project);
  } finally {
    await project.remove();
  }
}

/** Polls `check` every 50 ms until it returns a value (not undefined), for at most `seconds`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  what: string,
  seconds = 10,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}`);
}
