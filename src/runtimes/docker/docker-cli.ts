// The docker command line: one place that knows how to call it and that turns "no engine" into
// a clear message.
import { execa } from 'execa';
import { StageError } from '../../shared/errors.js';
import { type LoggedOptions, runLogged } from '../run-logged.js';

/** The docker engine's version, or why none answered within the timeout (docker's last line). */
export async function dockerEngineVersion(
  timeoutMs = 5000,
): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  const result = await execa('docker', ['version', '--format', '{{.Server.Version}}'], {
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
    all: true,
  }).catch((error: Error) => ({ exitCode: 1, all: error.message }));
  const text = String(result.all ?? '').trim();
  return result.exitCode === 0
    ? { ok: true, version: text }
    : { ok: false, reason: text.split('\n').at(-1) || 'no answer' };
}

/** True when a docker engine answers within the timeout. */
export async function dockerEngineAnswers(timeoutMs = 5000): Promise<boolean> {
  return (await dockerEngineVersion(timeoutMs)).ok;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape codes is the point.
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Runs docker and returns its stdout; a failure is a StageError in docker's own words. */
export function docker(args: readonly string[], options: LoggedOptions = {}): Promise<string> {
  return runLogged('docker', args, options, ({ exitCode, tail: raw, message }) => {
    // BuildKit colours its progress: the message keeps the words, not the escape codes.
    const tail = raw.replace(ANSI_ESCAPE, '');
    if (
      /Cannot connect to the Docker daemon|Is the docker daemon running|ENOENT/.test(`${tail}\n${message}`)
    ) {
      return new StageError(
        'no docker engine answers: start one, or set `runtime: process` in pipeline.yaml to run without docker',
        tail,
      );
    }
    return new StageError(`docker ${args[0]} failed (exit ${exitCode ?? 'none'})`, tail);
  });
}
