// Whether a path exists (and, with a mode, may be read, written or executed): one question several
// commands and stages ask before they act, answered without an exception.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';

export const pathExists = (path: string, mode: number = constants.F_OK): Promise<boolean> =>
  access(path, mode).then(
    () => true,
    () => false,
  );
