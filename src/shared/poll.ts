// Waiting between polls: a delay that grows from `firstMs` to `maxMs`, cut short by an abort.
export class Backoff {
  private delay: number;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {
    this.delay = firstMs;
  }

  /** The current delay, the next one lengthened. */
  take(): number {
    const ms = this.delay;
    this.delay = Math.min(Math.round(this.delay * 1.5), this.maxMs);
    return ms;
  }

  reset(): void {
    this.delay = this.firstMs;
  }
}

/** Waits `ms` (none when 0 or less), cut short by an abort. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A SageMaker resource name: the pipeline's name made valid, a UTC timestamp, a random tail. */
export function uniqueResourceName(base: string, now = new Date(), maxLength = 63): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const tail = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  const suffix = `-${stamp}-${tail}`;
  const safe =
    base
      .replace(/[^a-zA-Z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, maxLength - suffix.length)
      .replace(/-+$/, '') || 'pipeline';
  return `${safe}${suffix}`;
}
