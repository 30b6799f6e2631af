// The project's error classes: failures a user can act on, as opposed to bugs. Each keeps the
// error it explains as its `cause`, so that --verbose can show where it came from.

/** Thrown by a stage (or what it calls) for a failure the user can act on; anything else is a bug. */
export class StageError extends Error {
  constructor(
    message: string,
    /** Longer text shown under the message: a remote FailureReason, a log tail. */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StageError';
  }
}
