// `pipeline unlock LOCK_ID`: removes a lock whose holder cannot release it (a CI job cancelled
// mid-run, a laptop that went to sleep), as `terraform force-unlock` does. The id is the nonce
// the locked command printed, so that a lock taken since by someone else is never removed.
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { confirm } from '../confirm.js';
import { loadForCommand, stateDirOf } from '../open-pipeline.js';
import { stateBackendOf } from '../state-backend-of.js';

export interface UnlockOptions extends CommonOptions {
  yes: boolean;
}

export async function unlockCommand(
  id: string,
  options: UnlockOptions,
  io: CliIo,
): Promise<CliFailure | undefined> {
  const loaded = await loadForCommand(options, io, true);
  if (!loaded.ok) return { reason: 'config', errors: loaded.error };
  const backend = await stateBackendOf(loaded.value.config, stateDirOf(loaded.value));
  if (!options.yes) {
    writeLine(
      io.stderr,
      `This removes the lock ${id} of ${backend.location}. Only do so when its holder is gone: two runs at once may both train and deploy.`,
    );
    if (!io.stdin?.isTTY)
      return { reason: 'usage', message: 'no terminal to ask for confirmation: pass --yes to unlock' };
    if (!(await confirm(io, 'Remove the lock? [y/N] '))) {
      writeLine(io.stderr, 'The lock is kept.');
      return undefined;
    }
  }
  const removed = await backend.unlock(id);
  if (!removed.ok) return { reason: 'usage', message: `cannot unlock: ${removed.error}` };
  const holder = removed.value;
  if (options.json) writeJson(io.stdout, { unlocked: holder });
  else
    writeLine(
      io.stdout,
      holder.damaged
        ? `Removed the damaged lock ${id} (${holder.damaged})`
        : `Removed the lock ${id}: ${holder.user}@${holder.host} (pid ${holder.pid}) since ${holder.startedAt}, ${holder.command}`,
    );
  return undefined;
}
