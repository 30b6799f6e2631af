// Why a stage did not run, as the plan decides it and the run record keeps it.

/**
 * Decided by the plan: the stage is up to date, the selection left it out, or the config turns it
 * off (`deploy.enabled: false`), with why.
 */
export type SkipReason =
  | { kind: 'up-to-date' }
  | { kind: 'not-selected'; by: string }
  | { kind: 'disabled'; why: string };

/** Decided by the plan or during the run (an upstream stage's outputs did not change, or one failed). */
export type StageSkip =
  | SkipReason
  | { kind: 'upstream-unchanged' }
  | { kind: 'after-failure'; stage: string; interrupted: boolean };
