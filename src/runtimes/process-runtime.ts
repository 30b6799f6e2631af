// The `process` runtime: the container's `train` and `serve` programs run as child processes on
// this machine, with OPT_ML (or a model folder) standing in for /opt/ml. A program is the
// folder's `dist/PROGRAM.js` (run with this node), or an executable `PROGRAM` or `bin/PROGRAM`
// (any language) whose interpreter this machine has; a container with neither needs docker.

import { spawn } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { forEachLine } from '../shared/line-splitter.js';
import { pathExists } from '../shared/path-exists.js';
import { isWithin } from '../shared/path-within.js';
import { isProcessAlive, signalProcess, terminateProcess } from '../shared/process-alive.js';
import type {
  BuiltImage,
  ContainerRuntime,
  ImageProgram,
  RunningServer,
  ServeRequest,
  ServerHandle,
  TrainRequest,
} from './container-runtime.js';
import { logFileLines } from './log-file-lines.js';
import { listenersBeyondLoopback } from './process-listeners.js';

function programDir(image: BuiltImage): string {
  if (image.runtime !== 'process') throw new Error(`the process runtime cannot run a ${image.runtime} image`);
  return image.programDir;
}

/** The interpreter a script's `#!` line names, when this machine has it (or it has none). */
async function interpreterFound(path: string): Promise<boolean> {
  const head = (await readFile(path).catch(() => Buffer.alloc(0))).subarray(0, 256).toString('utf8');
  if (!head.startsWith('#!')) return true;
  const [command, ...rest] = head.slice(2).split('\n')[0]?.trim().split(/\s+/) ?? [];
  const program = command === '/usr/bin/env' ? rest.find((word) => !word.startsWith('-')) : command;
  if (!program) return false;
  if (program.startsWith('/')) return pathExists(program, constants.X_OK);
  const found = await execa('sh', ['-c', 'command -v "$1"', 'sh', program], { reject: false });
  return found.exitCode === 0;
}

/**
 * How to start a program of the image here: node for dist/PROGRAM.js, else the executable itself.
 * Rejects, saying the container needs docker, when there is nothing this machine can run.
 */
export async function programCommand(
  image: BuiltImage,
  program: ImageProgram,
): Promise<{ file: string; args: string[] }> {
  const dir = programDir(image);
  const script = join(dir, 'dist', `${program}.js`);
  if (await pathExists(script)) return { file: process.execPath, args: [script] };
  for (const candidate of [join(dir, program), join(dir, 'bin', program)]) {
    if ((await pathExists(candidate, constants.X_OK)) && (await interpreterFound(candidate)))
      return { file: candidate, args: [] };
  }
  throw new Error(
    `the container in ${dir} has no ${program} program this machine can run (dist/${program}.js, or an executable ${program} or bin/${program} whose interpreter is installed): it needs docker. Set runtime: docker and start a docker engine.`,
  );
}

/** Ends a program and everything it started: each program runs in a process group of its own. */
const terminateGroup = (pid: number, graceSeconds: number): Promise<void> =>
  terminateProcess(pid, graceSeconds, { group: true });

/** A program started in a group of its own; when its first process exits, the rest of the group goes too. */
function startGroup(file: string, args: string[], options: { env: NodeJS.ProcessEnv }): ResultPromise {
  const child = execa(file, args, {
    env: options.env,
    reject: false,
    all: true,
    stdin: 'ignore',
    detached: true,
  });
  // A helper the program left behind would hold its output open, and the job or the test would
  // wait for it until its time ran out: a container's processes end with its main one.
  child.on('exit', () => {
    if (child.pid !== undefined) signalProcess(-child.pid, 'SIGKILL');
  });
  return child;
}

/**
 * Whether process `pid` is a model server of the local SageMaker whose data folder is `owner`: its
 * working folder is there (a folder's path follows a move of the project), or its OPT_ML is (what
 * it was started with). A copy's records name the original's servers, and a pid may be reused by
 * any program after a reboot: neither is there.
 */
async function runsFor(pid: number, owner: string): Promise<boolean> {
  const inside = (path: string | undefined) => path !== undefined && isWithin(owner, path);
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  if (inside(cwd)) return true;
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  const optMl = environ
    .split('\0')
    .find((entry) => entry.startsWith('OPT_ML='))
    ?.slice('OPT_ML='.length);
  return inside(optMl);
}

/** A server process this process did not start (or no longer waits on), followed by its pid. */
function followPid(handle: Extract<ServerHandle, { kind: 'process' }>): RunningServer {
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<number>((resolve) => {
    timer = setInterval(() => {
      if (!isProcessAlive(handle.pid)) {
        clearInterval(timer);
        // Not our child: its exit code cannot be known.
        resolve(-1);
      }
    }, 200);
    timer.unref();
  });
  return {
    handle,
    url: `http://127.0.0.1:${handle.port}`,
    exited,
    stop: (graceSeconds = 30) => terminateGroup(handle.pid, graceSeconds),
    release: () => clearInterval(timer),
    listenersBeyondLoopback: () => listenersBeyondLoopback(handle.pid),
  };
}

export const processRuntime: ContainerRuntime = {
  kind: 'process',

  async prepareImage(image: BuiltImage, program: ImageProgram) {
    await programCommand(image, program);
  },

  async train(request: TrainRequest) {
    const program = request.program ?? 'train';
    // A program folder runs its own program, as an image runs the program of that name on its
    // PATH: an entrypoint may name it (`process`, `/opt/program/bin/process`), not another; a
    // processing job's arguments are its program's.
    const entrypoint = request.command?.entrypoint;
    const namesOwnProgram =
      entrypoint !== undefined && program !== 'train' && basename(entrypoint[0] ?? '') === program;
    if ((entrypoint && !namesOwnProgram) || (request.command?.arguments && program === 'train'))
      throw new Error(
        program === 'train'
          ? 'ContainerEntrypoint and ContainerArguments need a container image: a program folder runs its own train program'
          : `ContainerEntrypoint ${JSON.stringify(entrypoint)} needs a container image: a program folder runs its own ${program} program, which an entrypoint may name (["${program}"])`,
      );
    const command = await programCommand(request.image, program);
    const args = [...command.args, ...(entrypoint?.slice(1) ?? []), ...(request.command?.arguments ?? [])];
    const child = startGroup(command.file, args, {
      // PIPELINE_PARENT_PID: the programs stop themselves if this process dies without stopping them.
      env: { ...request.env, OPT_ML: request.mlDir, PIPELINE_PARENT_PID: String(process.pid) },
    });
    forEachLine(child.all, request.log);
    const onAbort = () => void terminateGroup(child.pid as number, request.stopGraceSeconds ?? 120);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    // Stopped while it was being set up: an abort before the listener was there fires nothing.
    if (request.signal?.aborted) onAbort();
    const result = await child;
    request.signal?.removeEventListener('abort', onAbort);
    return { exitCode: result.exitCode ?? (result.signal === 'SIGKILL' ? 137 : 143) };
  },

  async serve(request: ServeRequest): Promise<RunningServer> {
    // serve reads OPT_ML/model, as a container reads /opt/ml/model.
    if (basename(request.modelDir) !== 'model')
      throw new Error(`the model folder must be named "model": ${request.modelDir}`);
    const command = await programCommand(request.image, 'serve');
    const env = {
      ...process.env,
      ...request.env,
      OPT_ML: dirname(request.modelDir),
      SAGEMAKER_BIND_TO_PORT: String(request.port),
      // A process shares this machine's interfaces: it listens on loopback only.
      PIPELINE_BIND_HOST: '127.0.0.1',
    };
    if (request.detachedLogFile) {
      // An endpoint: its own process group, output to a file, not waited on, so that it keeps
      // serving after the process that started it has exited.
      const out = openSync(request.detachedLogFile, 'a');
      // Its working folder is its own, in the local SageMaker's data folder: how the server is
      // known to be this data folder's when found again (runsFor), even after the project moved.
      const child = spawn(command.file, command.args, {
        env,
        cwd: dirname(request.modelDir),
        detached: true,
        stdio: ['ignore', out, out],
      });
      child.unref();
      return followPid({ kind: 'process', pid: child.pid as number, port: request.port });
    }
    const child = startGroup(command.file, command.args, {
      env: { ...env, PIPELINE_PARENT_PID: String(process.pid) },
    });
    forEachLine(child.all, request.log);
    const pid = child.pid as number;
    return {
      handle: { kind: 'process', pid, port: request.port },
      url: `http://127.0.0.1:${request.port}`,
      exited: child.then((result) => result.exitCode ?? 143),
      stop: async (graceSeconds = 30) => {
        await terminateGroup(pid, graceSeconds);
        await child;
      },
      // A server started attached is this process's child: it no longer keeps this process alive.
      release: () => child.unref(),
      listenersBeyondLoopback: () => listenersBeyondLoopback(pid),
    };
  },

  async reattach(handle: ServerHandle, owner?: string) {
    if (handle.kind !== 'process' || !isProcessAlive(handle.pid)) return undefined;
    if (owner !== undefined && !(await runsFor(handle.pid, owner))) return undefined;
    return followPid(handle);
  },
  serverOutput: (_handle, logFile) => logFileLines(logFile),
};
