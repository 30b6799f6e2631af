// Whether a path is a folder or lies below it, by path alone (links are the caller's to resolve).
// `relative` rather than a string prefix, so that /data-old is not taken to be inside /data.
import { isAbsolute, relative, sep } from 'node:path';

export function isWithin(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
