// A user stage of kind command: a command run on this machine, in the project folder, with its
// output streamed into the progress. Its outs must exist when it ends; they are hashed, so that a
// stage reading them re-runs only when what they hold changed, and a deleted or edited out
// makes this stage run again.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { PipelineConfig } from '../src/engine/config/pipeline-config.js';
import { referenceVariable, type UserStageSettings } from '../src/engine/graph/stage-graph.js';
import type { FileHasher } from '../src/engine/plan/file-hasher.js';
import { REPORT_KEY, type Stage, type StageContext, type StageOutputs } from '../src/engine/stage.js';
import { hashJson } from '../src/shared/canonical-json.js';
import { StageError } from '../src/shared/errors.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';
import {
  depReferences,
  locateOut,
  type RecordedOut,
  readUserOuts,
  resolvedParams,
  sharedInputs,
  userStageNeeds,
} from './user-stage.js';

/** How long a command has to end after SIGTERM (Ctrl-C, its timeout) before it is killed. */
const GRACE_SECONDS = 10;

/** The hash of what a file or folder holds now; null when it is missing. */
export async function hashOut(files: FileHasher, projectDir: string, path: string): Promise<string | null> {
  const tree = await files.snapshotTree(resolve(projectDir, path), projectDir);
  const entries = Object.values(tree);
  return entries.length === 0 || entries.every((hash) => hash === null) ? null : hashJson(tree);
}

/**
 * Whether an out a stage made here is gone or changed since (`what` names it in the answer: "its
 * out rows", "the download of its output training"), for the stage's drift check.
 */
export async function localOutDrift(
  stage: string,
  outs: Record<string, RecordedOut>,
  files: FileHasher,
  projectDir: string,
  what: (out: string) => string,
): Promise<string | undefined> {
  for (const [out, recorded] of Object.entries(outs)) {
    if (recorded.path === undefined) continue;
    const now = await hashOut(files, projectDir, recorded.path);
    if (now === null) return `${what(out)} (${recorded.path}) is gone`;
    if (now !== recorded.hash) return `${what(out)} (${recorded.path}) changed since ${stage} made it`;
  }
  return undefined;
}

/** Numbers of a metrics document, nested objects flattened with dots. */
export function numbersOf(
  value: unknown,
  prefix = '',
  into: Record<string, number> = {},
): Record<string, number> {
  if (typeof value === 'number' && Number.isFinite(value) && prefix) into[prefix] = value;
  else if (value !== null && typeof value === 'object' && !Array.isArray(value))
    for (const [key, inner] of Object.entries(value))
      numbersOf(inner, prefix ? `${prefix}.${key}` : key, into);
  return into;
}

export function commandStage(
  name: string,
  settings: UserStageSettings,
  _config: PipelineConfig,
  builtIns: readonly Stage[],
): Stage {
  const command = settings.command as NonNullable<UserStageSettings['command']>;
  return {
    name,
    description: settings.description ?? (typeof command === 'string' ? command : command.join(' ')),
    needs: userStageNeeds(settings, builtIns),
    version: 1,
    userDefined: true,
    inputs: (config) => ({
      config: {
        [`stages.${name}.command`]: command,
        [`stages.${name}.outs`]: settings.outs,
        [`stages.${name}.metrics`]: settings.metrics,
        [`stages.${name}.gates`]: settings.gates,
        [`stages.${name}.env`]: settings.env,
        ...sharedInputs(name, settings, config),
      },
      files: settings.deps.flatMap((dep) => (typeof dep === 'string' ? [{ path: dep }] : [])),
    }),
    run: (ctx) => runCommandStage(ctx, name, settings, command, builtIns),
    drift: ({ projectDir, outputs, files }) =>
      localOutDrift(name, readUserOuts(name, outputs), files, projectDir, (out) => `its out ${out}`),
  };
}

async function runCommandStage(
  ctx: StageContext,
  name: string,
  settings: UserStageSettings,
  command: NonNullable<UserStageSettings['command']>,
  builtIns: readonly Stage[],
): Promise<StageOutputs> {
  const { execa } = await import('execa');
  const { forEachLine } = await import('../src/shared/line-splitter.js');
  const { terminateProcess, signalProcess } = await import('../src/shared/process-alive.js');
  const runDir = pipelinePaths.runFiles(ctx.stateDir, ctx.runId);
  await mkdir(runDir, { recursive: true });
  const logFile = join(runDir, `${name}.log`);
  const fromVariables: Record<string, string> = {};
  for (const reference of depReferences(settings)) {
    const where = locateOut(reference, ctx.upstream, builtIns);
    fromVariables[referenceVariable(reference)] =
      where.path !== undefined ? resolve(ctx.projectDir, where.path) : (where.s3Uri as string);
  }
  const env = {
    ...process.env,
    ...settings.env,
    ...fromVariables,
    PIPELINE_STAGE: name,
    PIPELINE_RUN_ID: ctx.runId,
    PIPELINE_PARAMS: JSON.stringify(resolvedParams(settings, ctx.config)),
  };
  const shown = typeof command === 'string' ? command : command.join(' ');
  ctx.step(`running ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`);
  // A group of its own, so that Ctrl-C and the timeout end everything the command started.
  const options = {
    cwd: ctx.projectDir,
    env,
    reject: false,
    all: true,
    stdin: 'ignore',
    detached: true,
  } as const;
  const child =
    typeof command === 'string'
      ? execa(command, { ...options, shell: '/bin/sh' })
      : execa(command[0], command.slice(1), options);
  const endGroup = () => {
    if (child.pid !== undefined) signalProcess(-child.pid, 'SIGKILL');
  };
  // If this process ends first (a second Ctrl-C), the command does not outlive it.
  process.once('exit', endGroup);
  const tail: string[] = [];
  const lines: string[] = [];
  forEachLine(child.all, (raw) => {
    // Its environment may hold secrets (env: with a secret variable): never in its log or message.
    const line = ctx.redact(raw);
    ctx.log(line);
    lines.push(line);
    tail.push(line);
    if (tail.length > 20) tail.shift();
  });
  let stoppedBy: string | undefined;
  const stop = (why: string) => {
    stoppedBy ??= why;
    if (child.pid !== undefined) void terminateProcess(child.pid, GRACE_SECONDS, { group: true });
  };
  const onAbort = () => stop('interrupted');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer =
    settings.timeoutSeconds !== undefined
      ? setTimeout(
          () => stop(`it ran past stages.${name}.timeoutSeconds (${settings.timeoutSeconds}s)`),
          settings.timeoutSeconds * 1000,
        )
      : undefined;
  const result = await child;
  clearTimeout(timer);
  ctx.signal.removeEventListener('abort', onAbort);
  process.removeListener('exit', endGroup);
  // What the command left behind in its group goes with it, as a container's processes do.
  endGroup();
  await writeFile(logFile, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  const report = { logFile: relative(ctx.projectDir, logFile), exitCode: result.exitCode ?? null };
  const detail = [
    ...(tail.length > 0 ? ['The end of its output:', ...tail] : []),
    `Its whole output: ${report.logFile}`,
  ].join('\n');
  if (stoppedBy === 'interrupted') throw new StageError(`${name} was stopped`, detail);
  if (stoppedBy) throw new StageError(`${name} was stopped: ${stoppedBy}`, detail);
  if (result.failed) {
    const how =
      result.exitCode !== undefined
        ? `exited with ${result.exitCode}`
        : result.signal
          ? `was killed by ${result.signal}`
          : `could not start: ${result.shortMessage ?? result.message}`;
    throw new StageError(`${name}: \`${shown}\` ${how}`, detail);
  }

  const outs: Record<string, RecordedOut> = {};
  const missing: string[] = [];
  for (const [out, path] of Object.entries(settings.outs)) {
    const hash = await hashOut(ctx.files, ctx.projectDir, path);
    if (hash === null) missing.push(`${out} (${path})`);
    else outs[out] = { path, hash };
  }
  if (missing.length > 0)
    throw new StageError(
      `${name} ended without making its out${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      detail,
    );

  const metrics =
    settings.metrics !== undefined ? await readMetrics(ctx.projectDir, settings.metrics, name) : undefined;
  if (metrics && settings.gates.length > 0) {
    const { checkGates, describeMissedGates } = await import('../src/review/gates.js');
    const missed = describeMissedGates(checkGates(settings.gates, metrics), Object.keys(metrics));
    if (missed.length > 0) throw new StageError(missed.join('\n'), `Its metrics: ${settings.metrics}`);
  }
  if (metrics)
    ctx.log(
      `metrics: ${Object.entries(metrics)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')}`,
    );
  return {
    kind: 'command',
    outs: outs as unknown as StageOutputs,
    ...(metrics ? { userMetrics: metrics } : {}),
    [REPORT_KEY]: report,
  };
}

async function readMetrics(projectDir: string, path: string, stage: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await readFile(resolve(projectDir, path), 'utf8');
  } catch {
    throw new StageError(`${stage} ended without writing its metrics file ${path}`);
  }
  try {
    return numbersOf(JSON.parse(text));
  } catch (error) {
    throw new StageError(`${stage}'s metrics file ${path} is not JSON: ${(error as Error).message}`);
  }
}
