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

/** Sends a signal (to a group: -pid); one to a process or group that is gone already is no error. */
export function signalProcess(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Ends a process that is not our child (only its pid is known): SIGTERM, then SIGKILL after the
 * grace period. With `group`, the process group whose leader it is (everything it started): SIGTERM
 * to the group, and once its leader is gone or the grace period has passed, SIGKILL to what is
 * left of it, as docker ends a container's processes with its main one.
 */
export async function terminateProcess(
  pid: number,
  graceSeconds: number,
  { group = false }: { group?: boolean } = {},
): Promise<void> {
  if (!group && !isProcessAlive(pid)) return;
  const target = group ? -pid : pid;
  signalProcess(target, 'SIGTERM');
  // A stopped process (SIGSTOP, a debugger) gets the SIGTERM only once it runs again.
  signalProcess(target, 'SIGCONT');
  const deadline = Date.now() + graceSeconds * 1000;
  while (isProcessAlive(pid) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  if (group || isProcessAlive(pid)) signalProcess(target, 'SIGKILL');
}
