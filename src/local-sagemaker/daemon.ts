// The local target's SageMaker and S3 run as a background process (a daemon) that the CLI starts
// on first use and finds again through .pipeline/local/server.json. Training jobs run inside it,
// so a CLI killed mid-training leaves its job running, and the next `pipeline run` re-attaches
// to the same job instead of starting another. `pipeline destroy` stops it.
//
// A daemon is adopted, and signalled, only when it proves to be the one server.json describes:
// it answers GET /_pipeline/identity with this data folder, its pid and the token it was started
// with. A copied project (whose server.json names the original's daemon), a pid reused by another
// program, or another server on a reused port are never taken for it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type HttpAnswer, httpRequest } from '../shared/http-request.js';
import { isProcessAlive, terminateProcess } from '../shared/process-alive.js';
import { credentialsFile, readCredentials } from './credentials.js';
import { IDENTITY_PATH, type LocalSageMakerIdentity } from './identity.js';
import type { AccessKey } from './protocol/sigv4.js';
import { allowFileImages, fileImagesFile } from './sagemaker/file-images.js';

/**
 * The FailureReason of a training job whose local SageMaker stopped while it ran (killed, or hung
 * and replaced): the job itself did nothing wrong, and a run that finds it trains again.
 */
export const STOPPED_WITH_SERVER =
  'InternalServerError: the local SageMaker stopped while this job was running';

/** What `pipeline local serve --state-file` writes once it listens. */
export interface LocalServerFacts {
  pid: number;
  endpoint: string;
  s3Endpoint: string;
  region: string;
  registry: string | null;
  dataDir: string;
  startedAt: string;
  /** Chosen by whoever started the daemon; the daemon repeats it when asked who it is. */
  token?: string;
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
  /** Folders whose file:// images it runs, added to its list (file-images.json) before it starts. */
  fileImageRoots?: readonly string[];
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

/** `moved`: this folder's daemon from before the project moved, still running on the old path. */
type Identity = 'ours' | 'moved' | 'not-ours' | 'silent';

/**
 * Whether the server server.json names is this folder's daemon. A busy machine may keep it from
 * answering at once: it gets `seconds`; one that never answers is `silent`.
 */
async function identify(facts: LocalServerFacts, dataDir: string, seconds: number): Promise<Identity> {
  const expected = await realpath(dataDir).catch(() => dataDir);
  const deadline = Date.now() + seconds * 1000;
  do {
    let answer: HttpAnswer | undefined;
    try {
      answer = await httpRequest(`${facts.endpoint}${IDENTITY_PATH}`, { timeoutMs: 2000 });
    } catch {
      if (!isProcessAlive(facts.pid)) return 'not-ours';
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    // Something answered: it says who it is, or it is another program.
    try {
      if (answer.status !== 200) return 'not-ours';
      const identity = JSON.parse(answer.text) as Partial<LocalSageMakerIdentity>;
      const started =
        identity.service === 'pipeline-local-sagemaker' &&
        identity.pid === facts.pid &&
        typeof facts.token === 'string' &&
        identity.token === facts.token;
      if (!started) return 'not-ours';
      if (identity.dataDir === expected) return 'ours';
      // Started from this server.json in another folder: the original of a copy (whose folder
      // still names it), or this very project before it was moved (whose old folder is gone).
      const original =
        typeof identity.dataDir === 'string' ? await readServerFacts(identity.dataDir) : undefined;
      return original?.token === facts.token ? 'not-ours' : 'moved';
    } catch {
      return 'not-ours';
    }
  } while (Date.now() < deadline);
  return 'silent';
}

/**
 * Whether pid runs `pipeline local serve` on this data folder, read from its command line (on
 * Linux): the only proof a daemon that does not answer can give before it is signalled.
 */
async function runsServeFor(pid: number, dataDir: string): Promise<boolean> {
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (commandLine === undefined) return false;
  const args = commandLine.split('\0');
  const at = args.indexOf('--data-dir');
  return args.includes('serve') && at !== -1 && args[at + 1] === dataDir;
}

/** The daemon described by server.json, if it still runs, answers, and is this folder's. */
export async function findLocalDaemon(
  dataDir: string,
  patienceSeconds = 15,
): Promise<LocalServerFacts | undefined> {
  const facts = await readServerFacts(dataDir);
  if (!facts || !isProcessAlive(facts.pid)) return undefined;
  // A daemon left on the old path of a moved project is not used (it works in a folder that is
  // gone): ensureLocalDaemon and destroy stop it.
  return (await identify(facts, dataDir, patienceSeconds)) === 'ours' ? facts : undefined;
}

/** A daemon that runs, with the key pair its requests are signed with. */
export interface LocalDaemon extends LocalServerFacts {
  credentials: AccessKey;
}

/** The daemon's facts and the key pair it keeps in its data folder (owner-only). */
async function withCredentials(facts: LocalServerFacts, dataDir: string): Promise<LocalDaemon> {
  const credentials = await readCredentials(credentialsFile(dataDir));
  if (!credentials)
    throw new Error(
      `${credentialsFile(dataDir)} is missing: \`pipeline destroy\` stops the local SageMaker, and the next run makes a new pair`,
    );
  return { ...facts, credentials };
}

/** The running daemon for dataDir with its key pair, if it runs and is this folder's. */
export async function findLocalDaemonWithKey(
  dataDir: string,
  patienceSeconds = 15,
): Promise<LocalDaemon | undefined> {
  const facts = await findLocalDaemon(dataDir, patienceSeconds);
  if (!facts || !(await readCredentials(credentialsFile(dataDir)))) return undefined;
  return withCredentials(facts, dataDir);
}

/** Where a `pipeline local serve` run by hand says it serves a data folder (never the daemon). */
export const foregroundFile = (dataDir: string): string => join(dataDir, 'foreground.json');

/** The `pipeline local serve` run by hand over dataDir, if one runs and answers as its record says. */
export async function findForegroundServe(dataDir: string): Promise<LocalServerFacts | undefined> {
  let facts: LocalServerFacts;
  try {
    facts = JSON.parse(await readFile(foregroundFile(dataDir), 'utf8')) as LocalServerFacts;
  } catch {
    return undefined;
  }
  if (!isProcessAlive(facts.pid)) return undefined;
  return (await identify(facts, dataDir, 2)) === 'ours' ? facts : undefined;
}

/** The running daemon for dataDir, started when there is none (or one with another registry). */
export async function ensureLocalDaemon(request: LocalDaemonRequest): Promise<LocalDaemon> {
  // Two servers over one data folder would each replace the other's model servers: a local
  // serve started by hand over it is used through local.endpoint, or stopped, never doubled.
  const foreground = await findForegroundServe(request.dataDir);
  if (foreground)
    throw new Error(
      `\`pipeline local serve\` (pid ${foreground.pid}) serves ${request.dataDir}, this project's local SageMaker folder: stop it, or use it with local.endpoint ${foreground.endpoint} and local.s3Endpoint ${foreground.s3Endpoint} (and its key pair in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`,
    );
  await allowFileImages(fileImagesFile(request.dataDir), request.fileImageRoots ?? []);
  const running = await findLocalDaemon(request.dataDir);
  if (
    running &&
    running.region === request.region &&
    running.registry === (request.registry ?? null) &&
    // A daemon of an earlier version kept no key pair (it took any): it is replaced.
    (await readCredentials(credentialsFile(request.dataDir)))
  ) {
    return withCredentials(running, request.dataDir);
  }
  // Never two daemons on one folder: one that runs but does not answer, or answers with other
  // settings, is stopped first. Restarting is safe: endpoints outlive it, and it finds them again.
  await stopLocalDaemon(request.dataDir);
  return withCredentials(await startLocalDaemon(request), request.dataDir);
}

async function startLocalDaemon(request: LocalDaemonRequest): Promise<LocalServerFacts> {
  const script = request.cliScript ?? process.argv[1];
  if (!script) throw new Error('cannot tell which script runs the pipeline CLI');
  await mkdir(request.dataDir, { recursive: true });
  await rm(serverFile(request.dataDir), { force: true });
  const log = await open(logFile(request.dataDir), 'a');
  const token = randomBytes(16).toString('hex');
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
    '--credentials-file',
    credentialsFile(request.dataDir),
    ...(request.registry ? ['--registry', request.registry] : []),
    '--file-images-from',
    fileImagesFile(request.dataDir),
  ];
  // Detached in its own process group: Ctrl-C or a kill of the CLI does not reach it.
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    env: { ...process.env, NO_COLOR: '1', PIPELINE_DAEMON_TOKEN: token },
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
    if (facts && facts.pid === child.pid && facts.token === token) return facts;
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

/**
 * Stops this folder's daemon, if one runs; true when there was one. Endpoints it hosts keep
 * serving. A pid in server.json that is not this folder's daemon (another project's, or a program
 * that reused the pid) is never signalled: the stale server.json is removed.
 */
export async function stopLocalDaemon(dataDir: string, graceSeconds = 15): Promise<boolean> {
  const facts = await readServerFacts(dataDir);
  const identity = facts && isProcessAlive(facts.pid) ? await identify(facts, dataDir, 2) : 'not-ours';
  const ours =
    facts !== undefined &&
    (identity === 'ours' ||
      identity === 'moved' ||
      (identity === 'silent' && (await runsServeFor(facts.pid, dataDir))));
  if (ours) await terminateProcess(facts.pid, graceSeconds);
  await rm(serverFile(dataDir), { force: true });
  return ours;
}
