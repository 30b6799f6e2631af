// What the benchmarks share: the median of repeated timings, a timed child process, the peak RSS
// of this process during some work, a data file of random bytes, and the heading that names the machine a result was measured on.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { cpus } from 'node:os';

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs a command to completion (CI=true: plain output); its wall time in ms and its stdout. */
export function timed(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...env },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
    );
  return { ms, stdout: result.stdout };
}

/** The highest RSS of this process while `work` runs, sampled every 20 ms. */
export async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakMiB: peak / 1024 / 1024 };
  } finally {
    clearInterval(sampler);
  }
}

/** A file of `mib` MiB of random bytes (one random MiB, repeated). */
export async function writeRandomFile(path: string, mib: number): Promise<void> {
  const block = randomBytes(1024 * 1024);
  const handle = await open(path, 'w');
  for (let i = 0; i < mib; i++) await handle.write(block);
  await handle.close();
}

/** "### DATE, N × CPU, node VERSION" plus any detail: the heading of a BENCHMARKS.md result. */
export function machineHeading(...details: string[]): string {
  return [
    `### ${new Date().toISOString().slice(0, 10)}`,
    `${cpus().length} × ${cpus()[0]?.model.trim()}`,
    `node ${process.version}`,
    ...details,
  ].join(', ');
}
