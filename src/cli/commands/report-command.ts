// `pipeline report`: the experiments page across every run (review/experiments-report.ts),
// written beside the run history (.pipeline/experiments.html) or where --output says.
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { renderExperimentsReport } from '../../review/experiments-report.js';
import { loadRuns } from '../../review/run-history.js';
import { pathExists } from '../../shared/path-exists.js';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';
import { historyDir, type ReviewOptions } from './runs-command.js';

export interface ReportOptions extends ReviewOptions {
  output?: string;
}

export async function reportCommand(options: ReportOptions, io: CliIo): Promise<CliFailure | undefined> {
  const stateDir = await historyDir(options, io);
  const runs = await loadRuns(stateDir);
  if (!runs.ok) return { reason: 'damaged-record', record: runs.error };
  const cwd = io.cwd ?? process.cwd();
  const file = options.output ? resolve(cwd, options.output) : join(stateDir, 'experiments.html');
  // Links to each run's report, relative to the page, for the runs that have one.
  const reports = new Map<string, string>();
  for (const run of runs.value) {
    const report = join(pipelinePaths.runFiles(stateDir, run.record.id), 'report.html');
    if (await pathExists(report)) reports.set(run.record.id, relative(dirname(file), report));
  }
  const pipeline = runs.value.at(-1)?.record.pipeline ?? 'pipeline';
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(
    file,
    renderExperimentsReport({
      pipeline,
      runs: runs.value,
      reportOf: (runId) => reports.get(runId),
      createdAt: new Date().toISOString(),
    }),
  );
  const shown = relative(cwd, file).startsWith('..') ? file : relative(cwd, file);
  if (options.json) writeJson(io.stdout, { file, runs: runs.value.length });
  else writeLine(io.stdout, `${shown}: ${runs.value.length} runs, each linked to its report`);
  return undefined;
}
