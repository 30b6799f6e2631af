// A file pipeline must write and cannot: a full disk, a read-only file system, no permission.
// These are the user's machine's conditions, not bugs: said plainly, with the file and the way out.
const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
};

export interface Unwritable {
  /** The file, or "a file" when the error does not say which. */
  path: string;
  code: string;
  reason: string;
}

/** What an error says about a file that could not be written, if that is what it is. */
export function unwritableFile(error: unknown): Unwritable | undefined {
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  if (!code || !(code in REASONS)) return undefined;
  // Without a file, EACCES and EPERM may be about something else (signalling a process).
  if (typeof path !== 'string' && (code === 'EACCES' || code === 'EPERM')) return undefined;
  return { path: typeof path === 'string' ? path : 'a file', code, reason: REASONS[code] as string };
}
