// The tool as a user gets it: `npm pack` of this repository, installed with `npm install
// --save-dev` into another repository, and run there as `npx pipeline`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot, TestProject } from './project.js';

export interface PackedTool {
  tarball: string;
  remove(): Promise<void>;
}

/** The package tarball, in a temporary folder of its own. */
export async function packTool(): Promise<PackedTool> {
  const packDir = await mkdtemp(join(tmpdir(), 'pipeline-pack-'));
  // --ignore-scripts: the tests run on the build `npm test` made; `prepare` would build again. The
  // manifest is stripped of `prepare` as `prepack` strips it (and put back as `postpack` does).
  const manifest = join(repoRoot, 'scripts', 'pack-manifest.mjs');
  await execa('node', [manifest, 'strip']);
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
    cwd: repoRoot,
  }).finally(() => execa('node', [manifest, 'restore']));
  const tarball = join(packDir, (JSON.parse(packed.stdout) as { filename: string }[])[0]?.filename as string);
  return { tarball, remove: () => rm(packDir, { recursive: true, force: true }) };
}

/** `npm install --save-dev TARBALL` in dir, offline: the package must need nothing fetched. */
export async function installTool(dir: string, tarball: string): Promise<void> {
  const installed = await execa(
    'npm',
    ['install', '--save-dev', '--offline', '--no-audit', '--no-fund', tarball],
    { cwd: dir, reject: false },
  );
  if (installed.exitCode !== 0) throw new Error(`npm install ${tarball} failed: ${installed.stderr}`);
  // The package asks the user to approve nothing: it has no install script.
  if (/install-scripts/.test(String(installed.stderr)))
    throw new Error(`npm install ${tarball} warned about install scripts: ${installed.stderr}`);
}

/** `npx pipeline ARGS` in dir, as CI runs it (no TTY, no colour). */
export function npxPipeline(dir: string, args: readonly string[], env: Record<string, string> = {}) {
  return execa('npx', ['--no-install', 'pipeline', ...args], {
    cwd: dir,
    reject: false,
    env: { NO_COLOR: '1', CI: 'true', ...env },
    stdin: 'ignore',
  });
}

/** A repository of the user's own, empty yet: none of the files a TestProject starts with. */
export async function emptyRepository(): Promise<TestProject> {
  const project = await TestProject.create();
  for (const made of ['pipeline.yaml', 'context', 'container', 'data'])
    await rm(project.path(made), { recursive: true });
  return project;
}
