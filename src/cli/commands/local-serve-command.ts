// `pipeline local serve`: the local SageMaker (and its S3) on their own, for any AWS client:
//   aws --endpoint-url http://127.0.0.1:PORT sagemaker list-training-jobs
// Runs until Ctrl-C. Endpoints keep serving after it stops; the next start finds them again.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';

export interface LocalServeOptions {
  port: string;
  s3Port: string;
  dataDir: string;
  region: string;
  registry?: string;
  /** Where to write the server's facts once it listens (the CLI's background daemon reads it). */
  stateFile?: string;
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
  const { startLocalSageMaker } = await import('../../local-sagemaker/local-sagemaker.js');
  const dataDir = resolve(io.cwd ?? process.cwd(), options.dataDir);
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
      region: options.region,
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
  const stateFile = options.stateFile ? resolve(io.cwd ?? process.cwd(), options.stateFile) : undefined;
  if (stateFile) await writeFileAtomic(stateFile, `${JSON.stringify(facts, null, 2)}\n`);
  if (options.json) writeJson(io.stdout, facts);
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
      'The local S3 takes the credentials AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER.',
    );
    writeLine(io.stdout, 'Ctrl-C stops it; endpoints keep serving and are found again on the next start.');
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  if (stateFile) await rm(stateFile, { force: true });
  return undefined;
}
