// A measure of long work as users of mature tools expect it: how much is done of how much, the
// rate, and about how long is left ("12.5 MiB of 100.0 MiB, 120 of 1,000 files, 3.2 MiB/s, about
// 27 s left"). The rate is over the last few seconds, so that a slow start or a stall shows.

const WINDOW_MS = 5000;
/** A rate measured over less than this says more about the first request than about the work. */
const MIN_RATE_MS = 1000;

export interface ProgressTotals {
  /** Bytes to move, when the work is bytes. */
  bytes?: number;
  /** Items to do, and what they are called (files, requests, epochs). */
  items?: number;
  unit?: string;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

const count = (value: number): string => value.toLocaleString('en-US');

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(seconds / 3600)} h ${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')} min`;
}

export class ProgressMeter {
  private bytes = 0;
  private items = 0;
  /** (time, bytes, items) samples of the last WINDOW_MS, oldest first. */
  private readonly samples: [number, number, number][] = [];

  constructor(
    private readonly totals: ProgressTotals,
    private readonly now: () => number = Date.now,
  ) {
    this.samples.push([now(), 0, 0]);
  }

  add(bytes: number, items = 0): void {
    this.bytes += bytes;
    this.items += items;
    const at = this.now();
    this.samples.push([at, this.bytes, this.items]);
    while (this.samples.length > 2 && (this.samples[1] as [number, number, number])[0] < at - WINDOW_MS)
      this.samples.shift();
  }

  private lastShown = Number.NEGATIVE_INFINITY;

  /**
   * Whether it is time to show the progress again: at most every `everyMs`, and always once done
   * (the last update gets through however soon it comes).
   */
  due(everyMs = 200): boolean {
    const at = this.now();
    if (at - this.lastShown < everyMs && !this.done) return false;
    this.lastShown = at;
    return true;
  }

  get done(): boolean {
    const { bytes, items } = this.totals;
    return (bytes === undefined || this.bytes >= bytes) && (items === undefined || this.items >= items);
  }

  /** "12.5 MiB of 100.0 MiB, 120 of 1,000 files, 3.2 MiB/s, about 27 s left". */
  describe(): string {
    const { bytes, items, unit = 'items' } = this.totals;
    const parts: string[] = [];
    if (bytes !== undefined) parts.push(`${formatBytes(this.bytes)} of ${formatBytes(bytes)}`);
    if (items !== undefined) parts.push(`${count(this.items)} of ${count(items)} ${unit}`);
    const [first, last] = [this.samples[0], this.samples.at(-1)] as [number, number, number][];
    const seconds = ((last?.[0] ?? 0) - (first?.[0] ?? 0)) / 1000;
    if (seconds * 1000 < MIN_RATE_MS || this.done) return parts.join(', ');
    // The rate and what is left, by bytes when the work is bytes, else by items.
    const byBytes = bytes !== undefined;
    const moved = byBytes ? (last?.[1] ?? 0) - (first?.[1] ?? 0) : (last?.[2] ?? 0) - (first?.[2] ?? 0);
    const rate = moved / seconds;
    if (rate <= 0) return [...parts, 'stalled'].join(', ');
    parts.push(
      byBytes ? `${formatBytes(rate)}/s` : `${rate < 10 ? rate.toFixed(1) : Math.round(rate)} ${unit}/s`,
    );
    const left = byBytes ? (bytes as number) - this.bytes : (items ?? 0) - this.items;
    parts.push(`about ${formatSeconds(left / rate)} left`);
    return parts.join(', ');
  }
}
