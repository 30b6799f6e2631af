// Where a command writes, and what it knows of its surroundings. Tests pass their own.
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** The folder relative paths start from (`--file`, `--data-dir`); process.cwd() when absent. */
  cwd?: string;
  /**
   * Where Ctrl-C and SIGTERM come from, and how a second one ends the process at once: the
   * process itself unless a test passes its own.
   */
  signals?: SignalSource;
  /** For questions (`pipeline destroy` asks before it deletes); absent in tests. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
  exit(code: number): void;
}

export interface CommonOptions {
  file: string;
  env?: string;
  set: string[];
  /** An AWS profile: the same as --set aws.profile=NAME. */
  profile?: string;
  json: boolean;
  verbose: boolean;
  /** `--no-refresh`: skip the drift checks of up-to-date stages (plan, run, status). */
  refresh?: boolean;
}

export const writeLine = (stream: NodeJS.WritableStream, text: string): void => {
  stream.write(`${text}\n`);
};

export const writeJson = (stream: NodeJS.WritableStream, value: unknown): void => {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
};
