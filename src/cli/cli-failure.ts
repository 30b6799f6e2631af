// Every way a command can fail, as data, and the one place that turns each into a message and
// an exit code. Stack traces appear only for bugs, and only with --verbose.
import { closest, distance } from 'fastest-levenshtein';
import { formatDiagnostic } from '../engine/config/diagnostic.js';
import type { ConfigErrors } from '../engine/config/load-config.js';
import type { PlanFailure } from '../engine/run/plan-run.js';
import type { LockHolder } from '../engine/state/lock.js';
import type { DamagedRecord } from '../engine/state/run-record.js';
import type { CorruptState } from '../engine/state/state-store.js';
import type { Unwritable } from '../shared/unwritable.js';
import { ExitCode } from './exit-code.js';

export type CliFailure =
  | { reason: 'config'; errors: ConfigErrors }
  | { reason: 'usage'; message: string }
  | { reason: 'plan'; failure: PlanFailure }
  | { reason: 'locked'; file: string; holder: LockHolder }
  | { reason: 'corrupt-state'; state: CorruptState }
  | { reason: 'damaged-record'; record: DamagedRecord }
  | { reason: 'stage-failed'; stage: string; message: string; detail?: string; bug: boolean }
  | { reason: 'interrupted'; stage?: string; signal: 'SIGINT' | 'SIGTERM'; leftRunning?: string }
  | { reason: 'unwritable'; file: Unwritable }
  | { reason: 'state-backend'; message: string }
  | { reason: 'checks-failed'; failed: string[] }
  | { reason: 'remote'; message: string }
  | { reason: 'over-budget'; breaches: { setting: string; limit: number; message: string }[] }
  | { reason: 'internal'; error: unknown };

export interface FailureReport {
  exitCode: ExitCode;
  /** What the user reads; includes the detail where there is one. */
  text: string;
  /** For --json. */
  json: Record<string, unknown>;
}

function describePlanFailure(failure: PlanFailure): string {
  switch (failure.reason) {
    case 'unknown-stage': {
      const guess = closest(failure.name, failure.valid);
      const hint = distance(failure.name, guess) <= 3 ? `did you mean "${guess}"? ` : '';
      return `unknown stage "${failure.name}" for ${failure.option}: ${hint}The stages are ${failure.valid.join(', ')}`;
    }
    case 'bad-selection':
      return failure.message;
    case 'missing-upstream':
      return (
        `${failure.stage} needs the outputs of ${failure.upstream}, which has not run successfully yet: ` +
        `run \`pipeline run --to ${failure.upstream}\` first`
      );
  }
}

function describeCorruptState({ file, backup, detail, shared, changedHere }: CorruptState): string {
  if (shared && changedHere) {
    return (
      `${file}, this folder's working copy of ${shared}, cannot be used (${detail}). ` +
      'Delete it: the next command pulls the shared state again'
    );
  }
  if (shared) {
    // The working copy is pulled again by every command: only the shared file can be mended.
    return (
      `the shared state ${shared} (pulled into ${file}) cannot be used (${detail}). Mend it in S3: ` +
      `restore its previous version (with bucket versioning), copy ${shared}.bak over it if that one is good, ` +
      'or `pipeline state push --force` from a clone whose state is good. Deleting the local copy does not help: it is pulled again'
    );
  }
  const restore = backup
    ? `The previous state is in ${backup}: restore it with \`cp ${backup} ${file}\`, or delete`
    : 'There is no usable backup: delete';
  return (
    `${file} cannot be used (${detail}). ${restore} ${file} to start over ` +
    '(every stage will run again, and make its remote resources anew)'
  );
}

export function reportFailure(failure: CliFailure, verbose: boolean): FailureReport {
  switch (failure.reason) {
    case 'config': {
      const { diagnostics, sources } = failure.errors;
      const count = diagnostics.length === 1 ? '1 problem' : `${diagnostics.length} problems`;
      const text = [
        ...diagnostics.map((d) => `error: ${formatDiagnostic(d, sources)}`),
        `${count} in the config`,
      ];
      return {
        exitCode: ExitCode.usage,
        text: text.join('\n'),
        json: {
          error: 'config',
          diagnostics: diagnostics.map((d) => ({ message: d.message, location: d.location })),
        },
      };
    }
    case 'usage':
      return {
        exitCode: ExitCode.usage,
        text: `error: ${failure.message}`,
        json: { error: 'usage', message: failure.message },
      };
    case 'plan': {
      const message = describePlanFailure(failure.failure);
      return {
        exitCode: ExitCode.usage,
        text: `error: ${message}`,
        json: { error: 'usage', message, ...failure.failure },
      };
    }
    case 'locked': {
      const { holder } = failure;
      const who = holder.user ? `${holder.user}@${holder.host}` : holder.host;
      const message = holder.damaged
        ? `the lock ${failure.file} cannot be read (${holder.damaged}), so no run can take it: ` +
          `\`pipeline unlock ${holder.id}\` removes it (make sure no run is going on first)`
        : `another pipeline run holds the lock ${failure.file}: ${who}, pid ${holder.pid}, since ${holder.startedAt} ` +
          `(${holder.command}). Wait for it (--lock-timeout 10m waits up to ten minutes); if its holder is gone, ` +
          `\`pipeline unlock ${holder.id ?? 'LOCK_ID'}\` removes the lock`;
      return {
        exitCode: ExitCode.state,
        text: `error: ${message}`,
        json: { error: 'locked', message, holder },
      };
    }
    case 'corrupt-state': {
      const message = describeCorruptState(failure.state);
      return {
        exitCode: ExitCode.state,
        text: `error: ${message}`,
        json: { error: 'corrupt-state', message, ...failure.state },
      };
    }
    case 'damaged-record': {
      const { file, detail } = failure.record;
      const message =
        `the run record ${file} cannot be used (${detail}). ` +
        'Move it out of the runs folder (or delete it) to read the rest of the history';
      return {
        exitCode: ExitCode.state,
        text: `error: ${message}`,
        json: { error: 'damaged-record', message, ...failure.record },
      };
    }
    case 'stage-failed': {
      const lines = [`error: stage ${failure.stage} failed: ${failure.message}`];
      if (failure.detail && (!failure.bug || verbose)) lines.push(failure.detail);
      if (failure.bug && !verbose)
        lines.push('This looks like a bug in pipeline; run again with --verbose for details.');
      return {
        exitCode: ExitCode.stageFailed,
        text: lines.join('\n'),
        json: {
          error: 'stage-failed',
          stage: failure.stage,
          message: failure.message,
          detail: failure.detail,
        },
      };
    }
    case 'interrupted': {
      const where = failure.stage ? ` during ${failure.stage}` : '';
      const message = `interrupted${where}; what completed is kept, \`pipeline run\` resumes`;
      return {
        exitCode: failure.signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted,
        text: failure.leftRunning ? `${message}\n${failure.leftRunning}` : message,
        json: { error: 'interrupted', stage: failure.stage, message },
      };
    }
    case 'unwritable': {
      const { path, code, reason } = failure.file;
      const message =
        `cannot write ${path}: ${reason} (${code}). ` +
        'What completed before is kept: fix that and run the command again';
      return {
        exitCode: ExitCode.state,
        text: `error: ${message}`,
        json: { error: 'unwritable', message, ...failure.file },
      };
    }
    case 'state-backend':
      return {
        exitCode: ExitCode.state,
        text: `error: ${failure.message}`,
        json: { error: 'state-backend', message: failure.message },
      };
    case 'checks-failed': {
      const message = `${failure.failed.length} problem${failure.failed.length > 1 ? 's' : ''} (${failure.failed.join(', ')}): a run cannot work until ${failure.failed.length > 1 ? 'they are' : 'it is'} fixed`;
      return {
        exitCode: ExitCode.stageFailed,
        text: `error: ${message}`,
        json: { error: 'checks-failed', message, failed: failure.failed },
      };
    }
    case 'remote':
      return {
        exitCode: ExitCode.stageFailed,
        text: `error: ${failure.message}`,
        json: { error: 'remote', message: failure.message },
      };
    case 'over-budget': {
      const lines = failure.breaches.map((breach) => `error: ${breach.message}`);
      lines.push('Nothing was started. Lower the settings, or raise the budget in pipeline.yaml.');
      return {
        exitCode: ExitCode.stageFailed,
        text: lines.join('\n'),
        json: { error: 'over-budget', breaches: failure.breaches },
      };
    }
    case 'internal': {
      const error = failure.error;
      const message = error instanceof Error ? error.message : String(error);
      const stack = error instanceof Error && verbose ? `\n${error.stack}` : '';
      return {
        exitCode: ExitCode.internal,
        text: `internal error: ${message}${stack}${verbose ? '' : '\n(run with --verbose for the stack trace)'}`,
        json: { error: 'internal', message },
      };
    }
  }
}
