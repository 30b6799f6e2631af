// The files under a folder as a user means them: symbolic links followed, to files and to folders
// (`data/training/latest -> 2026/` is an everyday layout), as `aws s3 sync` follows them; a link
// back into a folder already being listed is not followed again, and a broken link is an error
// that names it. Sorted, so that the same tree always lists the same way.
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ListOptions {
  /** Names skipped anywhere in the tree (node_modules). */
  exclude?: ReadonlySet<string>;
  /** Skip names that start with a dot (.DS_Store, .gitkeep). */
  skipHidden?: boolean;
  /** List a broken link as a file (whose reading then fails) instead of throwing BrokenLinkError. */
  listBrokenLinks?: boolean;
}

export class BrokenLinkError extends Error {
  constructor(readonly path: string) {
    super(`${path} is a symbolic link to something that does not exist`);
    this.name = 'BrokenLinkError';
  }
}

export async function listFiles(dir: string, options: ListOptions = {}): Promise<string[]> {
  const files: string[] = [];
  const open = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    const real = await realpath(folder);
    if (open.has(real)) return;
    open.add(real);
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (options.exclude?.has(entry.name)) continue;
      if (options.skipHidden && entry.name.startsWith('.')) continue;
      const full = join(folder, entry.name);
      let isFolder = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(full).catch(() => undefined);
        if (!target) {
          if (!options.listBrokenLinks) throw new BrokenLinkError(full);
          files.push(full);
          continue;
        }
        isFolder = target.isDirectory();
        isFile = target.isFile();
      }
      if (isFolder) await walk(full);
      else if (isFile) files.push(full);
    }
    open.delete(real);
  };
  await walk(dir);
  return files;
}
