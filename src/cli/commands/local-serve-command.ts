// `pipeline local serve`: the local SageMaker (and its S3) on their own, for any AWS client:
//   aws --endpoint-url http://127.0.0.1:PORT sagemaker list-training-jobs
// Runs until Ctrl-C. Endpoints keep serving after it stops; the next start finds them again.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { AccessKey } from '../../local-sagemaker/protocol/sigv4.js';
import type { Result } from '../../shared/result.js';
import { isLoopback } from '../../shared/service-url.js';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';

export interface LocalServeOptions {
  port: string;
  s3Port: string;
  host: string;
  dataDir: string;
  region: string;
  registry?: string;
  /** Where to write the server's facts once it listens (the CLI's background daemon reads it). */
  stateFile?: string;
  /** The key pair to accept, kept owner-only in this file (made when absent). */
  credentialsFile?: string;
  /** Folders whose file:// images it runs, as processes of this user. */
  fileImages: string[];
  /** A JSON list of further such folders, read at every check (the background daemon's). */
  fileImagesFrom?: string;
  json: boolean;
}

export async function localServeCommand(
  options: LocalServeOptions,
  io: CliIo,
): Promise<CliFailure | undefined> {
  const port = Number(options.port);
  const s3Port = Number(options.s3Port);
  if (
    !Number.isInteger(port) ||
    port < 0 ||
    port > 65535 ||
    !Number.isInteger(s3Port) ||
    s3Port < 0 ||
    s3Port > 65535
  ) {
    return { reason: 'usage', message: `--port and --s3-port take a port number from 0 to 65535` };
  }
  if (isIP(options.host) === 0 && options.host !== 'localhost')
    return {
      reason: 'usage',
      message: `--host takes an IP address to listen on (127.0.0.1, 0.0.0.0 for every interface), not "${options.host}"`,
    };
  const { startLocalSageMaker } = await import('../../local-sagemaker/local-sagemaker.js');
  const dataDir = resolve(io.cwd ?? process.cwd(), options.dataDir);
  // Two servers over one data folder would each replace the other's model servers and keep
  // caches of the same S3 files that the other's writes make stale: one at a time.
  const { findForegroundServe, findLocalDaemon, foregroundFile } = await import(
    '../../local-sagemaker/daemon.js'
  );
  const daemon = await findLocalDaemon(dataDir, 5);
  const running = daemon ?? (await findForegroundServe(dataDir));
  if (running)
    return {
      reason: 'usage',
      message: `the local SageMaker of this folder already runs (pid ${running.pid}, ${running.endpoint}, S3 ${running.s3Endpoint}) on ${dataDir}: ${daemon ? 'use it (`pipeline local env` prints its settings), stop it (`pipeline destroy`)' : 'use it, stop it (Ctrl-C where it runs)'}, or give this one a --data-dir of its own`,
    };
  const credentials = await serverCredentials(options, io);
  if (!credentials.ok) return { reason: 'usage', message: credentials.error };
  const { key, source } = credentials.value;
  // The background daemon's starter chooses the token (server.json then names it); on its own,
  // the server makes one.
  const token = io.env.PIPELINE_DAEMON_TOKEN || randomBytes(16).toString('hex');
  let server: Awaited<ReturnType<typeof startLocalSageMaker>>;
  try {
    server = await startLocalSageMaker({
      dataDir,
      identityToken: token,
      port,
      s3Port,
      host: options.host,
      region: options.region,
      keys: [key],
      fileImages: {
        roots: options.fileImages.map((dir) => resolve(io.cwd ?? process.cwd(), dir)),
        ...(options.fileImagesFrom
          ? { rootsFile: resolve(io.cwd ?? process.cwd(), options.fileImagesFrom) }
          : {}),
      },
      ...(options.registry ? { registry: options.registry } : {}),
    });
  } catch (error) {
    return { reason: 'usage', message: `cannot start the local SageMaker: ${(error as Error).message}` };
  }
  const facts = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    endpoint: server.endpoint,
    s3Endpoint: server.s3Endpoint,
    region: server.region,
    registry: server.registry ?? null,
    dataDir,
    token,
  };
  // The background daemon says where it listens in its state file; one started by hand says so
  // in the data folder, so that a project's CLI does not start a daemon over the same folder.
  const stateFile = resolve(io.cwd ?? process.cwd(), options.stateFile ?? foregroundFile(dataDir));
  await writeFileAtomic(stateFile, `${JSON.stringify(facts, null, 2)}\n`);
  // A generated pair is shown once, to the user who started the server; one from the environment
  // or a file is theirs already and is never printed.
  if (options.json) writeJson(io.stdout, source === 'generated' ? { ...facts, credentials: key } : facts);
  else {
    writeLine(
      io.stdout,
      `local SageMaker on ${server.endpoint} (region ${server.region}), S3 on ${server.s3Endpoint}`,
    );
    writeLine(
      io.stdout,
      `data in ${dataDir}; try: aws --endpoint-url ${server.endpoint} sagemaker list-training-jobs`,
    );
    writeLine(
      io.stdout,
      source === 'generated'
        ? `Requests must be signed with this key pair (generated now; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY before starting to choose your own):\n  export AWS_ACCESS_KEY_ID=${key.accessKeyId}\n  export AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`
        : `Requests must be signed with the key pair ${source === 'file' ? `in ${options.credentialsFile}` : 'of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'} (key id ${key.accessKeyId}).`,
    );
    if (!isLoopback(options.host))
      writeLine(
        io.stdout,
        `Listening on ${options.host}: other machines can reach it, and every request must be signed with this pair. Clones use it with local.endpoint and local.s3Endpoint (this machine's name in place of ${new URL(server.endpoint).hostname}).`,
      );
    writeLine(io.stdout, 'Ctrl-C stops it; endpoints keep serving and are found again on the next start.');
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  await rm(stateFile, { force: true });
  return undefined;
}

/**
 * The key pair requests must be signed with: the one of --credentials-file (the background daemon,
 * whose CLI reads the same file), else the environment's (a team's CI service and its clients share
 * one pair), else a new one that is printed.
 */
async function serverCredentials(
  options: LocalServeOptions,
  io: CliIo,
): Promise<Result<{ key: AccessKey; source: 'file' | 'environment' | 'generated' }, string>> {
  const { ensureCredentials, newAccessKey } = await import('../../local-sagemaker/credentials.js');
  if (options.credentialsFile) {
    const file = resolve(io.cwd ?? process.cwd(), options.credentialsFile);
    try {
      return { ok: true, value: { key: await ensureCredentials(file), source: 'file' } };
    } catch (error) {
      return { ok: false, error: `--credentials-file: ${(error as Error).message}` };
    }
  }
  const accessKeyId = io.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = io.env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey)
    return { ok: true, value: { key: { accessKeyId, secretAccessKey }, source: 'environment' } };
  if (accessKeyId || secretAccessKey)
    return {
      ok: false,
      error: `${accessKeyId ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is set without ${accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'}: set both to choose the key pair, or neither to have one generated`,
    };
  return { ok: true, value: { key: newAccessKey(), source: 'generated' } };
}
