// sha256 of files and folders, streamed, and remembered by path, size, mtime, ctime and inode:
// a file whose stat has not changed is not read again, so an unchanged 1 GiB data set costs a stat.
// A folder of many files is remembered whole as well, by the stamps of all its files: when none
// changed, its digest is known without loading the per-file cache (100,000 entries, 20 MB).
import { createHash } from 'node:crypto';
import { type BigIntStats, createReadStream, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { hashJson, sha256Hex } from '../../shared/canonical-json.js';
import { inParallel } from '../../shared/in-parallel.js';
import { writeJsonFile } from '../../shared/json-file.js';
import { listFiles } from '../../shared/list-files.js';
import { readWholeFile } from '../../shared/read-whole-file.js';
import { relativeKey } from '../../shared/relative-key.js';
import { unwritableFile } from '../../shared/unwritable.js';
import { TREE_SUMMARY_FILES, type TreeHashes, TreeListingStore, treeValue } from './tree-listings.js';

export type { TreeHashes } from './tree-listings.js';

interface CachedHash {
  /** size:mtimeNs:ctimeNs:ino:dev, all of which change when the content may have. */
  stamp: string;
  sha256: string;
}

interface CachedTree {
  /** sha256 of every file's relative path and stamp, in listing order. */
  stamp: string;
  /** hashJson of the tree's TreeHashes: what its tree value carries. */
  digest: string;
  files: number;
}

/** A file's stat as the cache compares it. */
interface Stamped {
  size: number;
  stamp: string;
}

/** Files stat'ed by FileHasher.statFiles. */
export interface StatedFiles {
  readonly paths: readonly string[];
  readonly stamps: readonly (Stamped | null)[];
  /** Changes when any of the files (or their names) may have. */
  readonly stamp: string;
}

/** What a file's hash is known by: its size and a stamp that changes whenever its content may have. */
export interface FileFacts {
  size: number;
  sha256: string;
}

const READ_CHUNK = 4 * 1024 * 1024;
/** Changed files read at once. */
const HASH_CONCURRENCY = 8;
/** Files stat'ed between two turns of the event loop (so a signal or a progress line is not held up). */
const STAT_SLICE = 2000;

/** Reads a JSON map file; a missing or damaged one is empty (a cache only costs a re-read). */
async function readMap<T>(file: string | undefined): Promise<Map<string, T>> {
  if (!file) return new Map();
  try {
    return new Map(Object.entries(JSON.parse(await readFile(file, 'utf8')) as Record<string, T>));
  } catch {
    return new Map();
  }
}

/** The first of `folders` (deepest first, as summedFolders gives them) that holds path, if any. */
const folderHolding = (path: string, folders: readonly string[]): string | undefined =>
  folders.find((root) => path.startsWith(`${root}${sep}`));

export class FileHasher {
  /** Per-file hashes outside summed-up folders, read from disk on first need (once, however many ask). */
  private files: Promise<Map<string, CachedHash>> | undefined;
  /**
   * Per-file hashes of each summed-up folder, by its path, each in a file of its own: a plan of
   * unchanged folders never reads them, and a plan of a small folder never reads a big one's.
   */
  private folderFiles = new Map<string, Promise<Map<string, CachedHash>>>();
  private trees = new Map<string, CachedTree>();
  private readonly dirty = new Set<Map<string, unknown>>();
  /** What each summed-up tree's files hashed to, for explaining a change file by file. */
  readonly listings: TreeListingStore;
  /** Bytes read and hashed (not served from the cache) since this hasher was made. */
  bytesHashed = 0;

  private constructor(private readonly cacheFile: string | undefined) {
    this.listings = new TreeListingStore(cacheFile && join(dirname(cacheFile), 'trees'));
  }

  /** A hasher whose cache lives in cacheFile and beside it (a missing or unreadable cache starts empty). */
  static async open(cacheFile?: string): Promise<FileHasher> {
    const hasher = new FileHasher(cacheFile);
    hasher.trees = await readMap(hasher.besideCache('tree-hashes.json'));
    return hasher;
  }

  private besideCache(name: string): string | undefined {
    return this.cacheFile && join(dirname(this.cacheFile), name);
  }

  private folderCacheFile(folder: string): string | undefined {
    return this.besideCache(`folder-hashes/${sha256Hex(folder).slice(0, 32)}.json`);
  }

  /** The summed-up folders, deepest first: a file's hashes live with the deepest that holds it. */
  private summedFolders(): string[] {
    const folders = new Set([...this.trees.keys()].map((key) => key.split('\0')[0] as string));
    return [...folders].sort((a, b) => b.length - a.length);
  }

  private generalCache(): Promise<Map<string, CachedHash>> {
    this.files ??= this.loadGeneralCache();
    return this.files;
  }

  private async loadGeneralCache(): Promise<Map<string, CachedHash>> {
    const general = await readMap<CachedHash>(this.cacheFile);
    // Hashes of files in a summed-up folder (hashed before it was summed up, or kept by a version
    // without folder caches) move to the folder's own cache, so this one stays small.
    const folders = this.summedFolders();
    if (folders.length === 0) return general;
    for (const [path, hash] of general) {
      const folder = folderHolding(path, folders);
      if (folder === undefined) continue;
      general.delete(path);
      const cache = await this.loadFolderCache(folder);
      if (!cache.has(path)) cache.set(path, hash);
      this.dirty.add(cache).add(general);
    }
    return general;
  }

  /** The cache that holds each path's hash, loaded on first need. */
  private async cachesOf(paths: readonly string[]): Promise<Map<string, CachedHash>[]> {
    const folders = this.summedFolders();
    const caches: Map<string, CachedHash>[] = new Array(paths.length);
    for (const [index, path] of paths.entries()) {
      const folder = folderHolding(path, folders);
      caches[index] = folder === undefined ? await this.generalCache() : await this.folderCache(folder);
    }
    return caches;
  }

  private async folderCache(folder: string): Promise<Map<string, CachedHash>> {
    const cache = await this.loadFolderCache(folder);
    // Its hashes may still be in the general cache, which moves them here as it loads.
    if (cache.size === 0) await this.generalCache();
    return cache;
  }

  private loadFolderCache(folder: string): Promise<Map<string, CachedHash>> {
    let loading = this.folderFiles.get(folder);
    if (!loading) {
      loading = readMap<CachedHash>(this.folderCacheFile(folder));
      this.folderFiles.set(folder, loading);
    }
    return loading;
  }

  async hashFile(path: string): Promise<string | null> {
    return (await this.sizeAndHash(path))?.sha256 ?? null;
  }

  /** The file's size and sha256 from one stat (the hash read only when the stat changed); null if missing. */
  async sizeAndHash(path: string): Promise<FileFacts | null> {
    return (await this.sizesAndHashes([path]))[0] ?? null;
  }

  /** sizeAndHash of many files, in their order. */
  async sizesAndHashes(paths: readonly string[]): Promise<(FileFacts | null)[]> {
    return this.hashStamped(paths, await stampAll(paths));
  }

  /**
   * The files' stats, taken once: a stamp of them all (their keys and stats, which changes when
   * any file may have), and what hashesOf needs to hash them without a second stat.
   */
  async statFiles(paths: readonly string[], keys: readonly string[]): Promise<StatedFiles> {
    const stamps = await stampAll(paths);
    return { paths, stamps, stamp: stampOfTree(keys, stamps) };
  }

  /** sizesAndHashes of files already stat'ed. */
  async hashesOf(stated: StatedFiles): Promise<(FileFacts | null)[]> {
    return this.hashStamped(stated.paths, stated.stamps);
  }

  /**
   * Every file under path (or path itself, if it is a file), keyed by its path relative to base.
   * A folder of more than TREE_SUMMARY_FILES files is one entry, `FOLDER/`: its tree value.
   */
  async snapshotTree(path: string, base: string, exclude: readonly string[] = []): Promise<TreeHashes> {
    return this.walkTree(path, base, exclude, true);
  }

  /** Every file under path (or path itself, if it is a file), keyed by its path relative to base. */
  async hashTree(path: string, base: string, exclude: readonly string[] = []): Promise<TreeHashes> {
    return this.walkTree(path, base, exclude, false);
  }

  private async walkTree(
    path: string,
    base: string,
    exclude: readonly string[],
    summarize: boolean,
  ): Promise<TreeHashes> {
    const key = (file: string) => relativeKey(base, file);
    let info: import('node:fs').Stats;
    try {
      info = await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return { [key(path)]: null };
    }
    if (!info.isDirectory()) return { [key(path)]: await this.hashFile(path) };
    // A broken link counts as a missing file: the plan says so, and the stage that reads it fails.
    const files = await listFiles(path, { exclude: new Set(exclude), listBrokenLinks: true });
    const keys = files.map(key);
    const stamps = await stampAll(files);
    const summed = summarize && files.length > TREE_SUMMARY_FILES;
    const treeKey = [path, base, ...exclude].join('\0');
    const treeStamp = summed ? stampOfTree(keys, stamps) : '';
    const folder = `${key(path) || '.'}/`;
    const known = this.trees.get(treeKey);
    if (summed && known?.stamp === treeStamp) return { [folder]: treeValue(known.files, known.digest) };

    const facts = await this.hashStamped(files, stamps);
    const hashes: TreeHashes = {};
    for (const [index, file] of keys.entries()) hashes[file] = facts[index]?.sha256 ?? null;
    if (!summed) return hashes;
    const digest = hashJson(hashes);
    this.trees.set(treeKey, { stamp: treeStamp, digest, files: files.length });
    this.dirty.add(this.trees);
    await this.listings.keep(digest, hashes);
    return { [folder]: treeValue(files.length, digest) };
  }

  /** Hashes from the cache where the stamp is unchanged; the changed files read, a few at once. */
  private async hashStamped(
    paths: readonly string[],
    stamps: readonly (Stamped | null)[],
  ): Promise<(FileFacts | null)[]> {
    const caches = await this.cachesOf(paths);
    const facts: (FileFacts | null)[] = new Array(paths.length).fill(null);
    const changed: number[] = [];
    for (const [index, stamped] of stamps.entries()) {
      if (!stamped) continue;
      const cached = caches[index]?.get(paths[index] as string);
      if (cached?.stamp === stamped.stamp) facts[index] = { size: stamped.size, sha256: cached.sha256 };
      else changed.push(index);
    }
    await inParallel(changed, HASH_CONCURRENCY, async (index) => {
      const path = paths[index] as string;
      const { size, stamp } = stamps[index] as Stamped;
      const sha256 = await hashContent(path, size).catch((error: NodeJS.ErrnoException) => {
        // Removed between its stat and its read: missing, as if the stat had not found it.
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (sha256 === null) return;
      this.bytesHashed += size;
      const cache = caches[index] as Map<string, CachedHash>;
      cache.set(path, { stamp, sha256 });
      this.dirty.add(cache);
      facts[index] = { size, sha256 };
    });
    return facts;
  }

  async save(): Promise<void> {
    const files: (readonly [string | undefined, Map<string, unknown> | undefined])[] = [
      [this.cacheFile, await this.files],
      [this.besideCache('tree-hashes.json'), this.trees],
      ...(await Promise.all(
        [...this.folderFiles].map(
          async ([folder, cache]) => [this.folderCacheFile(folder), await cache] as const,
        ),
      )),
    ];
    for (const [file, cache] of files) {
      if (!file || !cache || !this.dirty.has(cache)) continue;
      try {
        await writeJsonFile(file, Object.fromEntries(cache));
      } catch (error) {
        // A cache that cannot be kept (read-only checkout, full disk) only costs a re-read next time.
        if (!unwritableFile(error)) throw error;
      }
    }
    this.dirty.clear();
  }
}

/**
 * Each file's size and stamp, null where missing. On the main thread: a stat is a few
 * microseconds, while a stat sent to the thread pool cost a hand-over each way, and 100,000
 * unchanged files took 4.9 s in 300,000 futex waits.
 */
async function stampAll(paths: readonly string[]): Promise<(Stamped | null)[]> {
  const stamps: (Stamped | null)[] = new Array(paths.length).fill(null);
  for (let start = 0; start < paths.length; start += STAT_SLICE) {
    if (start > 0) await nextTurn();
    for (let index = start; index < Math.min(start + STAT_SLICE, paths.length); index++) {
      const info = statSync(paths[index] as string, { bigint: true, throwIfNoEntry: false }) as
        | BigIntStats
        | undefined;
      if (info)
        stamps[index] = {
          size: Number(info.size),
          stamp: `${info.size}:${info.mtimeNs}:${info.ctimeNs}:${info.ino}:${info.dev}`,
        };
    }
  }
  return stamps;
}

function stampOfTree(keys: readonly string[], stamps: readonly (Stamped | null)[]): string {
  const hash = createHash('sha256');
  for (const [index, key] of keys.entries()) hash.update(`${key}\0${stamps[index]?.stamp ?? 'missing'}\n`);
  return hash.digest('hex');
}

async function hashContent(path: string, size: number): Promise<string> {
  // A stream reads into buffers of its high-water mark whatever the file's size: 4 MiB for every
  // small file made a first plan of 5,000 files spend 3.6 of its 7.5 s collecting garbage.
  if (size < READ_CHUNK)
    return createHash('sha256')
      .update(await readWholeFile(path, size))
      .digest('hex');
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: READ_CHUNK })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
