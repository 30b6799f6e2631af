// Which file:// images a local SageMaker runs. A file:// image is a folder whose programs (train,
// serve) run as processes of the server's owner, with all of that user's rights: only folders
// under the roots the owner chose are accepted (the background daemon: its project's folder).
import { realpathSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validation } from './aws-error.js';

/** Refuses, as SageMaker refuses an image it cannot use, a file:// image outside every root. */
export function checkFileImage(image: string, roots: readonly string[], member: string): void {
  if (!image.startsWith('file://')) return;
  let folder: string;
  try {
    folder = fileURLToPath(image);
  } catch (error) {
    throw validation(`${member} ${image} cannot be used: ${(error as Error).message}`);
  }
  // Where a link leads, when the folder exists; one that does not fails the job as it starts, as
  // an image that cannot be pulled does on SageMaker.
  folder = realpathOr(folder);
  const inside = roots.some((root) => {
    const path = relative(realpathOr(resolve(root)), folder);
    return path === '' || (!path.startsWith(`..${sep}`) && path !== '..' && !path.startsWith(sep));
  });
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
