// The documented exit codes of `pipeline` (README, "Exit codes"). Scripts and CI branch on them.
export const ExitCode = {
  /** Everything asked for ran or was up to date. */
  ok: 0,
  /** A stage failed (or an evaluation gate missed), or the run was over its budget. */
  stageFailed: 1,
  /** Bad pipeline.yaml, bad arguments, an unknown stage name. */
  usage: 2,
  /** The state cannot be used: another run holds the lock, or state.json is damaged. */
  state: 3,
  /** A bug in pipeline itself: please report it, with the output of --verbose. */
  internal: 70,
  /** Interrupted by Ctrl-C (SIGINT). */
  interrupted: 130,
  /** Stopped by SIGTERM. */
  terminated: 143,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
