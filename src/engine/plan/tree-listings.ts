// A folder of many files enters a stage's snapshot as one value, `tree:FILES:DIGEST`, instead of
// one entry per file: at 100,000 files the per-file form made state.json and every run record
// 12 MB, parsed, compared and written on every run. What each file's hash was is kept here, by
// digest, so that a change can still be explained file by file.
import { readFileSync, utimesSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonFile } from '../../shared/json-file.js';
import { pathExists } from '../../shared/path-exists.js';
import { unwritableFile } from '../../shared/unwritable.js';

/** A file's hash by its path relative to the hashed root; null when the path does not exist. */
export type TreeHashes = Record<string, string | null>;

/** Folders of more files than this are summed up in a snapshot as one tree value. */
export const TREE_SUMMARY_FILES = 1000;
/** Listings kept on disk (the most recently used): each is the size of the upload manifest. */
const LISTINGS_KEPT = 8;

const TREE_VALUE = /^tree:(\d+):([0-9a-f]{64})$/;

export const treeValue = (files: number, digest: string): string => `tree:${files}:${digest}`;

export function parseTreeValue(
  value: string | null | undefined,
): { files: number; digest: string } | undefined {
  const match = value ? TREE_VALUE.exec(value) : null;
  return match ? { files: Number(match[1]), digest: match[2] as string } : undefined;
}

/** The file hashes a tree value stands for, when they are still kept. */
export interface TreeListings {
  listing(value: string): TreeHashes | undefined;
}

/** Listings in a folder of the state's cache, or (no folder) in memory for this process only. */
export class TreeListingStore implements TreeListings {
  private readonly memory = new Map<string, TreeHashes>();

  constructor(private readonly dir: string | undefined) {}

  listing(value: string): TreeHashes | undefined {
    const tree = parseTreeValue(value);
    if (!tree) return undefined;
    const kept = this.memory.get(tree.digest);
    if (kept || !this.dir) return kept;
    const file = join(this.dir, `${tree.digest}.json`);
    try {
      const hashes = JSON.parse(readFileSync(file, 'utf8')) as TreeHashes;
      // Used: kept longer than the listings nobody asked for.
      utimesSync(file, new Date(), new Date());
      return hashes;
    } catch {
      // Pruned, or never written here (a state pulled from a shared backend): no file detail.
      return undefined;
    }
  }

  /** Keeps the listing of a digest just computed; the least recently used beyond LISTINGS_KEPT go. */
  async keep(digest: string, hashes: TreeHashes): Promise<void> {
    if (!this.dir) {
      this.memory.set(digest, hashes);
      return;
    }
    const file = join(this.dir, `${digest}.json`);
    try {
      // Named by its content: one already there is this one.
      if (await pathExists(file)) return;
      await writeJsonFile(file, hashes);
      await this.prune();
    } catch (error) {
      // A listing that cannot be kept only costs the file-by-file detail of a later change.
      if (!unwritableFile(error)) throw error;
    }
  }

  private async prune(): Promise<void> {
    const dir = this.dir as string;
    const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    if (names.length <= LISTINGS_KEPT) return;
    const used = await Promise.all(
      names.map(async (name) => ({ name, at: (await stat(join(dir, name))).mtimeMs })),
    );
    used.sort((a, b) => b.at - a.at);
    for (const { name } of used.slice(LISTINGS_KEPT)) await rm(join(dir, name), { force: true });
  }
}
