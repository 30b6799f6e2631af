// Whether a process still exists, and ending one that is not our child.
import { readFileSync } from 'node:fs';

/**
 * Whether a process still runs on this machine: signal 0 checks without signalling. A zombie (it
 * has exited, its parent has not yet collected it) does not run: a process this tool detached is
 * re-parented to the machine's init, which may collect it seconds later (two seconds on the
 * machines we test on), and a stop that waits for it would wait that long for nothing.
 */
export function isProcessAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** Linux's /proc/PID/stat: "pid (comm) S ...", the state after the last ')'. Elsewhere: unknown, so no. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X';
}

/** Ends a process that is not our child (only its pid is known): SIGTERM, then SIGKILL after the grace period. */
export async function terminateProcess(pid: number, graceSeconds: number): Promise<void> {
  if (!isProcessAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  // A stopped process (SIGSTOP, a debugger) gets the SIGTERM only once it runs again.
  process.kill(pid, 'SIGCONT');
  const deadline = Date.now() + graceSeconds * 1000;
  while (isProcessAlive(pid) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
}
