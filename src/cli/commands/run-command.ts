// `pipeline run`: plan under the lock, then execute with live progress; Ctrl-C stops waiting,
// keeps what completed and leaves remote work to be re-attached to by the next run.
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { executeRun } from '../../engine/run/execute-run.js';
import { planRun, type Selection } from '../../engine/run/plan-run.js';
import type { RunEventSink } from '../../engine/run/run-event.js';
import type { Stage } from '../../engine/stage.js';
import { inspectGit } from '../../engine/state/git-info.js';
import { Redactor } from '../../engine/state/redact.js';
import { newRunId } from '../../engine/state/run-record.js';
import { readState } from '../../engine/state/state-store.js';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, type StopSignal, writeJson, writeLine } from '../cli-io.js';
import { openPipeline, stageConfigErrors } from '../open-pipeline.js';
import { painter } from '../paint.js';
import { formatCostLine } from '../render/format-cost.js';
import { formatHeadline, formatRunSummary } from '../render/format-run.js';
import { planCost, runCostOf } from '../run-costs.js';
import { pullState } from '../state-backend-of.js';
import { planCommand } from './plan-command.js';

export interface RunOptions extends CommonOptions, Selection {
  dryRun: boolean;
  /** How long to wait for a lock another run holds (`30s`, `5m`); 0: fail at once. */
  lockTimeout?: string;
  /** `--jobs`: how many stages may run at once. */
  jobs?: string;
}

/** `--jobs`: a whole number from 1; by default, the cores this process may use. */
function parseJobs(text: string | undefined): number | undefined {
  if (text === undefined) return availableParallelism();
  return /^[1-9][0-9]{0,3}$/.test(text.trim()) ? Number(text) : undefined;
}

/** `--lock-timeout`: seconds, or a number with s, m or h. */
export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] as number;
  return Number(match[1]) * unit;
}

export async function runCommand(
  options: RunOptions,
  io: CliIo,
  builtIns: readonly Stage[],
  argv: string[],
): Promise<CliFailure | undefined> {
  if (options.dryRun) return planCommand(options, io, builtIns);
  // `git status` takes as long as reading the config and planning: it runs beside them.
  const git = inspectGit(dirname(resolve(options.file)));
  const opened = await openPipeline(options, io, builtIns, { createSecretKey: true });
  if (!opened.ok) return opened.error;
  const { loaded, stages, stateDir, hasher, secrets, backend } = opened.value;

  const jobs = parseJobs(options.jobs);
  if (jobs === undefined)
    return { reason: 'usage', message: `--jobs ${options.jobs}: give a whole number of stages, 1 or more` };
  const waitMs = parseDuration(options.lockTimeout);
  if (waitMs === undefined)
    return {
      reason: 'usage',
      message: `--lock-timeout ${options.lockTimeout}: give a duration such as 30s, 5m or 1h`,
    };
  const aborter = new AbortController();
  const lock = await backend.lock(`pipeline ${argv.join(' ')}`.trim(), {
    waitMs,
    signal: aborter.signal,
    onWait: (holder, where) =>
      writeLine(
        io.stderr,
        holder.damaged
          ? `waiting up to ${options.lockTimeout} for the lock ${where}, which cannot be read (${holder.damaged}): \`pipeline unlock ${holder.id}\` removes it`
          : `waiting up to ${options.lockTimeout} for the lock ${where}, held by ${holder.user}@${holder.host} (pid ${holder.pid}, ${holder.command})`,
      ),
  });
  if (!lock.ok) return { reason: 'locked', ...lock.error };
  const signals = io.signals ?? process;
  let signal: StopSignal = 'SIGINT';
  const onSignal = (received: StopSignal) => {
    // A second Ctrl-C means "now": the state was written after the last completed stage.
    if (aborter.signal.aborted) signals.exit(received === 'SIGTERM' ? 143 : 130);
    signal = received;
    aborter.abort();
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  signals.on('SIGINT', onSigint);
  signals.on('SIGTERM', onSigterm);
  try {
    // Read again under the lock: the state read before may predate another run's last write.
    await pullState(backend, io.stderr);
    const state = await readState(stateDir, loaded.config.name);
    if (!state.ok) return { reason: 'corrupt-state', state: await backend.describeDamage(state.error) };
    const plan = await planRun(stages, state.value, loaded, options, {
      hasher,
      secrets,
      stateDir,
      mayStart: true,
      refresh: options.refresh !== false,
    });
    if (!plan.ok) return { reason: 'plan', failure: plan.error };
    // A value SageMaker would refuse fails the run now, not at CreateTrainingJob after the build.
    const running = new Set(plan.value.filter((stage) => stage.action === 'run').map((stage) => stage.name));
    const refused = await stageConfigErrors(stages, loaded, io, running);
    if (refused) return { reason: 'config', errors: refused };
    // The budget is checked against the projection before anything starts.
    const cost = await planCost(loaded, plan.value);
    if (cost.breaches.length > 0) return { reason: 'over-budget', breaches: cost.breaches };

    const anythingRuns = plan.value.some((stage) => stage.action === 'run');
    let sink: RunEventSink = () => undefined;
    let finished: Promise<void> = Promise.resolve();
    // listr2 is loaded only when something runs: a no-op run stays as fast as node's start.
    if (anythingRuns && !options.json) {
      const { startListrRenderer } = await import('../render/listr-renderer.js');
      const renderer = startListrRenderer(plan.value, {
        interactive: Boolean(io.stdout.isTTY) && !io.env.CI,
        // The built-in stages run one after another: side by side only with stages of the user's,
        // and only on a terminal. A CI log prints each stage's lines together, in the plan's order.
        concurrent:
          jobs > 1 && stages.some((stage) => stage.userDefined) && Boolean(io.stdout.isTTY) && !io.env.CI,
      });
      sink = renderer.sink;
      finished = renderer.finished;
    }
    const outcome = await executeRun({
      runId: newRunId(),
      loaded,
      stages,
      plan: plan.value,
      state: state.value,
      stateDir,
      hasher,
      redactor: new Redactor(loaded.secrets, io.env),
      secrets,
      argv,
      emit: sink,
      jobs,
      signal: aborter.signal,
      git,
      persist: () => backend.push(),
      costOf: (record) => runCostOf(loaded, record, state.value, cost),
    });
    await finished;
    // The report evaluate wrote in this run gets the stages' times and the metrics of the stages
    // after it, known only now.
    const evaluated = outcome.record.stages.evaluate?.action;
    if (evaluated === 'ran' || evaluated === 'failed') {
      const { completeReport, completeSummary } = await import('../../review/stage-times.js');
      const runFiles = pipelinePaths.runFiles(stateDir, outcome.record.id);
      const reported = await completeReport(join(runFiles, 'report.html'), outcome.record);
      const summarized = await completeSummary(join(runFiles, 'summary.md'), outcome.record);
      if (reported || summarized) await backend.push();
    }

    if (options.json) writeJson(io.stdout, outcome.record);
    else {
      const paint = painter(Boolean(io.stdout.isTTY), io.env);
      writeLine(io.stdout, '');
      writeLine(io.stdout, formatRunSummary(outcome.record, paint));
      const { recordedCost } = await import('../../review/run-cost.js');
      const cost = recordedCost(outcome.record);
      if (cost) writeLine(io.stdout, formatCostLine(cost));
      // What a user wants after every run, which scrolled by in the middle of the output.
      // The run kept the state it wrote in state.value: no need to read it again.
      const { headlineOf } = await import('../../review/headline.js');
      const headline = await headlineOf(outcome.record, state.value, stateDir);
      if (headline) {
        const cwd = io.cwd ?? process.cwd();
        writeLine(io.stdout, '');
        writeLine(
          io.stdout,
          formatHeadline(headline, paint, (file) => {
            const near = relative(cwd, file);
            return near.startsWith('..') ? file : near;
          }),
        );
      }
    }
    if (outcome.status === 'interrupted')
      return {
        reason: 'interrupted',
        stage: outcome.failure?.stage,
        signal,
        ...(outcome.failure?.detail ? { leftRunning: outcome.failure.detail } : {}),
      };
    if (outcome.failure) return { reason: 'stage-failed', ...outcome.failure };
    return undefined;
  } finally {
    signals.off('SIGINT', onSigint);
    signals.off('SIGTERM', onSigterm);
    await lock.value.release();
  }
}
