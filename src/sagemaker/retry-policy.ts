// The one retry policy for every AWS call: the SDK's standard mode (exponential backoff with
// jitter, a retry quota, throttling and 5xx retried, client errors not), configured here once for
// every client. Nothing retries on top of it, so one call makes at most MAX_ATTEMPTS requests.
import { untilAborted } from '../shared/abortable.js';

export const MAX_ATTEMPTS = 5;

export const RETRY_SETTINGS = { retryMode: 'standard', maxAttempts: MAX_ATTEMPTS } as const;

/**
 * An AWS call, or an AbortError the moment the signal aborts: the SDK checks its abort signal only
 * between attempts, so Ctrl-C during a back-off would otherwise wait the back-off out.
 */
export const callUntilAborted = <T>(call: Promise<T>, signal: AbortSignal): Promise<T> =>
  untilAborted(call, signal, () => abortError(signal));

function abortError(signal: AbortSignal): Error {
  const error = new Error('the request was interrupted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
