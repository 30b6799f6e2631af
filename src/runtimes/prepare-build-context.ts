// Makes an npm-package build context ready to run or to copy into an image: dependencies
// installed (`npm ci`, only when the lock file changed since the last install) and the package's
// own `build` script run. A context that is not an npm package is left as it is.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runLogged } from './run-logged.js';

async function modifiedMs(path: string): Promise<number | undefined> {
  return stat(path).then(
    (info) => info.mtimeMs,
    () => undefined,
  );
}

export async function prepareBuildContext(
  contextDir: string,
  step: (title: string) => void,
  log: (line: string) => void,
): Promise<void> {
  const manifest = await readFile(join(contextDir, 'package.json'), 'utf8').catch(() => undefined);
  if (manifest === undefined) return;
  const lock = await modifiedMs(join(contextDir, 'package-lock.json'));
  // npm writes node_modules/.package-lock.json at the end of every install.
  const installed = await modifiedMs(join(contextDir, 'node_modules', '.package-lock.json'));
  if (installed === undefined || (lock !== undefined && lock > installed)) {
    step(lock === undefined ? 'npm install' : 'npm ci');
    await runLogged('npm', [lock === undefined ? 'install' : 'ci', '--no-audit', '--no-fund'], {
      cwd: contextDir,
      log,
    });
  }
  const scripts = (JSON.parse(manifest) as { scripts?: Record<string, string> }).scripts ?? {};
  if (scripts.build) {
    step('npm run build');
    await runLogged('npm', ['run', 'build'], { cwd: contextDir, log });
  }
}
