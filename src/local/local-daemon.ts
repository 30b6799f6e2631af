// The local target's SageMaker and S3 run as a background process (a daemon) that the CLI starts
// on first use and finds again through .pipeline/local/server.json. Training jobs run inside it,
// so a CLI killed mid-training leaves its job running, and the next `pipeline run` re-attaches
// to the same job instead of starting another. `pipeline destroy` stops it.
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive, terminateProcess } from '../state/process-alive.js';

/** What `pipeline local serve --state-file` writes once it listens. */
export interface LocalServerFacts {
  pid: number;
  endpoint: string;
  s3Endpoint: string;
  region: string;
  registry: string | null;
  dataDir: string;
  startedAt: string;
}

export interface LocalDaemonRequest {
  /** .pipeline/local */
  dataDir: string;
  region: string;
  registry?: string;
  /** The CLI script that runs `local serve` (this process's own). */
  cliScript?: string;
  /** How long the daemon may take to start. */
  startSeconds?: number;
}

export const serverFile = (dataDir: string): string => join(dataDir, 'server.json');
const logFile = (dataDir: string): string => join(dataDir, 'server.log');

export async function readServerFacts(dataDir: string): Promise<LocalServerFacts | undefined> {
  try {
    return JSON.parse(await readFile(serverFile(dataDir), 'utf8')) as LocalServerFacts;
  } catch {
    return undefined;
  }
}

/** Whether the daemon answers within `seconds`: a busy machine may keep it from answering at once. */
async function answersWithin(facts: LocalServerFacts, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  do {
    try {
      await fetch(facts.endpoint, { signal: AbortSignal.timeout(2000) });
      return true;
    } catch {
      if (!isProcessAlive(facts.pid)) return false;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } while (Date.now() < deadline);
  return false;
}

/** The daemon described by server.json, if it still runs and answers. */
export async function findLocalDaemon(
  dataDir: string,
  patienceSeconds = 15,
): Promise<LocalServerFacts | undefined> {
  const facts = await readServerFacts(dataDir);
  if (!facts || !isProcessAlive(facts.pid)) return undefined;
  return (await answersWithin(facts, patienceSeconds)) ? facts : undefined;
}

/** The running daemon for dataDir, started when there is none (or one with another registry). */
export async function ensureLocalDaemon(request: LocalDaemonRequest): Promise<LocalServerFacts> {
  const running = await findLocalDaemon(request.dataDir);
  if (running && running.region === request.region && running.registry === (request.registry ?? null)) {
    return running;
  }
  // Never two daemons on one folder: one that runs but does not answer, or answers with other
  // settings, is stopped first. Restarting is safe: endpoints outlive it, and it finds them again.
  await stopLocalDaemon(request.dataDir);
  return startLocalDaemon(request);
}

async function startLocalDaemon(request: LocalDaemonRequest): Promise<LocalServerFacts> {
  const script = request.cliScript ?? process.argv[1];
  if (!script) throw new Error('cannot tell which script runs the pipeline CLI');
  await mkdir(request.dataDir, { recursive: true });
  await rm(serverFile(request.dataDir), { force: true });
  const log = await open(logFile(request.dataDir), 'a');
  const args = [
    script,
    'local',
    'serve',
    '--port',
    '0',
    '--s3-port',
    '0',
    '--data-dir',
    request.dataDir,
    '--region',
    request.region,
    '--state-file',
    serverFile(request.dataDir),
    ...(request.registry ? ['--registry', request.registry] : []),
  ];
  // Detached in its own process group: Ctrl-C or a kill of the CLI does not reach it.
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();
  await log.close();

  const deadline = Date.now() + (request.startSeconds ?? 30) * 1000;
  while (Date.now() < deadline) {
    const facts = await readServerFacts(request.dataDir);
    if (facts && facts.pid === child.pid) return facts;
    if (exited !== undefined) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const tail = (await readFile(logFile(request.dataDir), 'utf8').catch(() => ''))
    .trim()
    .split('\n')
    .slice(-10)
    .join('\n');
  if (exited === undefined && child.pid) process.kill(child.pid, 'SIGTERM');
  throw new Error(
    `the local SageMaker did not start${exited !== undefined ? ` (exit ${exited})` : ''}; its log, ${logFile(request.dataDir)}:\n${tail}`,
  );
}

/** Stops the daemon, if one runs; true when there was one. Endpoints it hosts keep serving. */
export async function stopLocalDaemon(dataDir: string, graceSeconds = 15): Promise<boolean> {
  const facts = await readServerFacts(dataDir);
  if (!facts || !isProcessAlive(facts.pid)) {
    await rm(serverFile(dataDir), { force: true });
    return false;
  }
  await terminateProcess(facts.pid, graceSeconds);
  await rm(serverFile(dataDir), { force: true });
  return true;
}
