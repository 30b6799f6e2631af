// The `local` state backend (the default): .pipeline/ is the state itself, on this machine only.
import { acquireLock, liveHolder, unlockLocal } from './lock.js';
import type { StateBackend } from './state-backend.js';

export function localBackend(stateDir: string): StateBackend {
  return {
    location: stateDir,
    pull: async () => [],
    push: async () => 0,
    lock: (command, options) => acquireLock(stateDir, command, options),
    holder: () => liveHolder(stateDir),
    unlock: (id) => unlockLocal(stateDir, id),
    // The folder is the state itself: its own backup is the way back.
    describeDamage: async (state) => state,
  };
}
