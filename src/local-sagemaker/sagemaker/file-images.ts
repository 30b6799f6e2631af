// Which file:// images a local SageMaker runs. A file:// image is a folder whose programs (train,
// serve) run as processes of the server's owner, with all of that user's rights: only folders
// under the roots the owner chose are accepted. The background daemon reads its roots from a file
// in its data folder that only its owner can write: the CLI adds the project's folder and its
// image's build context there before it creates a job, so a context outside the project (a
// monorepo's ../model) works without restarting the daemon and the jobs it runs.
import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonFile, writeJsonFile } from '../../shared/json-file.js';
import { isWithin } from '../../shared/path-within.js';
import { validation } from '../protocol/aws-error.js';

export interface FileImagePolicy {
  /** Folders given when the server started (`--file-images`). */
  roots: readonly string[];
  /** A JSON list of further folders, read at every check (the background daemon's). */
  rootsFile?: string;
}

export const fileImagesFile = (dataDir: string): string => join(dataDir, 'file-images.json');

function rootsOf(policy: FileImagePolicy): string[] {
  if (!policy.rootsFile) return [...policy.roots];
  let listed: unknown = [];
  try {
    listed = JSON.parse(readFileSync(policy.rootsFile, 'utf8'));
  } catch {
    // None allowed yet.
  }
  return [...policy.roots, ...(Array.isArray(listed) ? listed.filter((dir) => typeof dir === 'string') : [])];
}

/** Adds folders to a daemon's list (the CLI, before it creates a job or a model). */
export async function allowFileImages(file: string, dirs: readonly string[]): Promise<void> {
  const listed = await readJsonFile<string[]>(file, []);
  const missing = dirs.filter((dir) => !listed.includes(dir));
  if (missing.length > 0) await writeJsonFile(file, [...listed, ...missing]);
}

/** Refuses, as SageMaker refuses an image it cannot use, a file:// image outside every root. */
export function checkFileImage(image: string, policy: FileImagePolicy, member: string): void {
  if (!image.startsWith('file://')) return;
  const roots = rootsOf(policy);
  let folder: string;
  try {
    folder = fileURLToPath(image);
  } catch (error) {
    throw validation(`${member} ${image} cannot be used: ${(error as Error).message}`);
  }
  // Where a link leads, when the folder exists; one that does not fails the job as it starts, as
  // an image that cannot be pulled does on SageMaker.
  folder = realpathOr(folder);
  const inside = roots.some((root) => isWithin(realpathOr(resolve(root)), folder));
  if (!inside)
    throw validation(
      roots.length === 0
        ? `${member} ${image}: this local SageMaker runs no file:// image (their programs run as its owner); start it with --file-images DIR to allow the folders under DIR`
        : `${member} ${image}: file:// images run as this local SageMaker's owner, and only those under ${roots.join(', ')} are allowed`,
    );
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
