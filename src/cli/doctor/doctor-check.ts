// One finding of `pipeline doctor`: what was checked, how it stands, and what to do about it.

/** ok: ready; warn: a run works, but not as well as it could; fail: a run cannot work; skip: not needed here. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for a warning or a failure. */
  advice?: string;
}

export const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail });
export const skip = (check: string, detail: string): CheckResult => ({ check, status: 'skip', detail });
export const warn = (check: string, detail: string, advice: string): CheckResult => ({
  check,
  status: 'warn',
  detail,
  advice,
});
export const fail = (check: string, detail: string, advice?: string): CheckResult => ({
  check,
  status: 'fail',
  detail,
  ...(advice ? { advice } : {}),
});
