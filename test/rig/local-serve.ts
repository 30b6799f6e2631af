// `pipeline local serve` as a team or a CI job runs it: a child process of the real CLI that takes
// the key pair of its environment, started in `cwd` and stopped (SIGINT) by stop().
import { execa, type ResultPromise } from 'execa';
import { AWS_CLI_ENV } from './aws-cli.js';
import { realCli, waitFor } from './project.js';

export interface ServedLocalSageMaker {
  endpoint: string;
  s3Endpoint: string;
  region: string;
  process: ResultPromise;
  stop(): Promise<void>;
}

export async function startLocalServe(cwd: string, args: string[] = []): Promise<ServedLocalSageMaker> {
  const server = execa('node', [realCli, 'local', 'serve', '--json', ...args], {
    cwd,
    reject: false,
    env: AWS_CLI_ENV,
  });
  let output = '';
  server.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const facts = await waitFor(
    async () => {
      if (server.exitCode !== null) throw new Error(`pipeline local serve exited: ${output}`);
      try {
        return JSON.parse(output) as { endpoint: string; s3Endpoint: string; region: string };
      } catch {
        return undefined;
      }
    },
    'pipeline local serve to start',
    30,
  );
  return {
    ...facts,
    process: server,
    stop: async () => {
      server.kill('SIGINT');
      await server;
    },
  };
}
