// A real OCI registry (Debian's docker-registry) on a free loopback port, with its storage in a
// temporary folder, for push tests. In CI it must be there; elsewhere a test without it skips.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../../src/shared/free-port.js';
import { waitFor } from './project.js';

export interface LocalRegistry {
  host: string;
  stop(): Promise<void>;
}

export async function startRegistry(t: TestContext): Promise<LocalRegistry | undefined> {
  const found = await execa('docker-registry', ['--version'], { reject: false }).catch(() => undefined);
  if (found?.exitCode !== 0) {
    if (process.env.CI) throw new Error('CI=true but docker-registry is missing: .ci/run installs it');
    t.skip('docker-registry is not installed (apt-get install docker-registry)');
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'pipeline-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child: ResultPromise = execa('docker-registry', ['serve', config], { reject: false, all: true });
  const host = `127.0.0.1:${port}`;
  await waitFor(
    () =>
      fetch(`http://${host}/v2/`)
        .then((r) => (r.status === 200 ? true : undefined))
        .catch(() => undefined),
    'docker-registry to answer',
  );
  return {
    host,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
