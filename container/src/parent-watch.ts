// Without docker (the pipeline's `process` runtime) these programs are child processes of the
// pipeline CLI. A CLI killed with -9 cannot stop them, so they watch it themselves: when the pid
// in PIPELINE_PARENT_PID is gone, they stop as if sent SIGTERM (training saves, serving drains).
// In a container the variable is not set and nothing is watched.
export function stopWhenParentExits(): void {
  const pid = Number(process.env.PIPELINE_PARENT_PID);
  if (!Number.isInteger(pid) || pid <= 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') return;
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 500);
  timer.unref();
}
