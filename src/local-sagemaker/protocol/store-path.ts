// Every file the local services touch for a request is inside their store. Names are checked
// against the services' own patterns first (request-fields.ts); this is the second wall, for any
// name that a pattern would let through, so that no request can read, write or delete a file
// outside the folder it was given.
import { isAbsolute, relative, resolve } from 'node:path';
import { AwsError } from './aws-error.js';

export function pathInside(store: string, ...parts: string[]): string {
  const root = resolve(store);
  const path = resolve(root, ...parts);
  const within = relative(root, path);
  if (within === '' || within.startsWith('..') || isAbsolute(within)) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: '${parts.join('/')}' is not a valid name`,
    );
  }
  return path;
}
