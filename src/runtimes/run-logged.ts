// Runs a command with its output streamed line by line (into the progress view) and kept in a
// short tail; a non-zero exit becomes a StageError that shows that tail.
import { execa, type Options } from 'execa';
import { StageError } from '../shared/errors.js';
import { forEachLine } from '../shared/line-splitter.js';

export interface LoggedOptions extends Pick<Options, 'cwd' | 'env' | 'timeout'> {
  /** Written to the command's stdin (a password for --password-stdin): never on its command line. */
  input?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface LoggedFailure {
  exitCode: number | undefined;
  tail: string;
  message: string;
}

/** Runs the command; returns its stdout, or calls `fail` to make the error for a failure. */
export async function runLogged(
  file: string,
  args: readonly string[],
  options: LoggedOptions = {},
  fail: (failure: LoggedFailure) => Error = (failure) =>
    new StageError(`${file} ${args[0] ?? ''} failed (exit ${failure.exitCode ?? 'none'})`, failure.tail),
): Promise<string> {
  const { log, signal, input, ...execaOptions } = options;
  const child = execa(file, args, {
    reject: false,
    all: true,
    ...(input !== undefined ? { input } : { stdin: 'ignore' as const }),
    ...execaOptions,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  const tail: string[] = [];
  forEachLine(child.all, (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    log?.(line);
  });
  const result = await child;
  if (result.exitCode === 0) return String(result.stdout ?? '').trim();
  throw fail({ exitCode: result.exitCode, tail: tail.join('\n').trim(), message: result.message ?? '' });
}
