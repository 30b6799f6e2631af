// The git commit a run was made from, read from .git directly (no `git` process on the hot path),
// and whether the work tree had uncommitted changes (one `git status`, started as the run command
// starts so that it finishes while the config is read and the plan made).
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface GitInfo {
  commit: string;
  branch?: string;
  dirty?: boolean;
}

async function findGitDir(start: string): Promise<string | undefined> {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, '.git');
    try {
      const info = await stat(candidate);
      if (info.isDirectory()) return candidate;
      // A worktree or submodule: .git is a file "gitdir: PATH".
      const pointer = (await readFile(candidate, 'utf8')).match(/^gitdir:\s*(.+)$/m)?.[1];
      if (pointer) return resolve(dir, pointer.trim());
    } catch {
      // Not here; look in the parent.
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function resolveRef(gitDir: string, ref: string): Promise<string | undefined> {
  const commonDir = await readFile(join(gitDir, 'commondir'), 'utf8')
    .then((text) => resolve(gitDir, text.trim()))
    .catch(() => gitDir);
  for (const dir of [gitDir, commonDir]) {
    const loose = await readFile(join(dir, ref), 'utf8').catch(() => undefined);
    if (loose) return loose.trim();
  }
  const packed = await readFile(join(commonDir, 'packed-refs'), 'utf8').catch(() => '');
  return packed
    .split('\n')
    .find((line) => line.endsWith(` ${ref}`))
    ?.split(' ')[0];
}

export async function readGitInfo(projectDir: string): Promise<GitInfo | undefined> {
  const gitDir = await findGitDir(projectDir);
  if (!gitDir) return undefined;
  const head = (await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => '')).trim();
  const ref = head.match(/^ref:\s*(.+)$/)?.[1];
  const commit = ref ? await resolveRef(gitDir, ref) : head;
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  return { commit, ...(ref ? { branch: ref.replace(/^refs\/heads\//, '') } : {}) };
}

/** True when `git status` lists changes; undefined when git cannot say (no repository, no git). */
export function isWorkTreeDirty(projectDir: string): Promise<boolean | undefined> {
  return new Promise((done) => {
    execFile(
      'git',
      // --no-optional-locks: only look; do not rewrite the index to refresh its stat data.
      ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no'],
      { cwd: projectDir },
      (error, stdout) => {
        done(error ? undefined : stdout.trim().length > 0);
      },
    );
  });
}

/** What a run record says about git, being found out. */
export interface GitInspection {
  info: Promise<GitInfo | undefined>;
  dirty: Promise<boolean | undefined>;
}

/** Starts reading the commit and `git status` side by side; neither promise rejects. */
export function inspectGit(projectDir: string): GitInspection {
  const info = readGitInfo(projectDir).catch(() => undefined);
  // `git status` only in a repository: outside one, spawning git is all a no-op run would wait on.
  return { info, dirty: info.then((found) => (found ? isWorkTreeDirty(projectDir) : undefined)) };
}
