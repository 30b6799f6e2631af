// The one retry policy for every AWS call: the SDK's standard mode (exponential backoff with
// jitter, a retry quota, throttling and 5xx retried, client errors not), configured here once for
// every client. Nothing retries on top of it, so one call makes at most MAX_ATTEMPTS requests.
export const MAX_ATTEMPTS = 5;

export const RETRY_SETTINGS = { retryMode: 'standard', maxAttempts: MAX_ATTEMPTS } as const;

/**
 * The call, or a rejection the moment the signal aborts: the SDK checks its abort signal only
 * between attempts, so Ctrl-C during a back-off would otherwise wait the back-off out.
 */
export function untilAborted<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The call was made already: it will reject too, and nobody else will hear it.
    call.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const error = new Error('the request was interrupted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
