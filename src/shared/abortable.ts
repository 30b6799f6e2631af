// Work raced against an abort signal: the work's result, or a rejection the moment the signal
// aborts. Ctrl-C must end a wait at once even when the work underneath (a stage, an SDK call in
// its back-off) only notices the signal later; the work's own later rejection is still heard, so
// it never becomes an unhandled rejection.
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, aborted: () => Error): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
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
