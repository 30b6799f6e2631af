import { join, relative } from 'node:path';
import { recordedCost } from '../../review/run-cost.js';
import { findRun, loadRuns } from '../../review/run-history.js';
import { pathExists } from '../../shared/path-exists.js';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';
import { formatRunCost } from '../render/format-cost.js';
import { formatDuration } from '../render/format-run.js';
import { historyDir, type ReviewOptions } from './runs-command.js';

export async function showCommand(
  ref: string,
  options: ReviewOptions,
  io: CliIo,
): Promise<CliFailure | undefined> {
  const stateDir = await historyDir(options, io);
  const runs = await loadRuns(stateDir);
  if (!runs.ok) return { reason: 'damaged-record', record: runs.error };
  const found = findRun(runs.value, ref);
  if (!found.ok) return { reason: 'usage', message: found.message };
  const { record, status, metrics, gatesPassed } = found.run;
  const report = join(pipelinePaths.runFiles(stateDir, record.id), 'report.html');
  const hasReport = await pathExists(report);
  if (options.json) {
    writeJson(io.stdout, {
      ...record,
      metrics: metrics ?? null,
      gatesPassed: gatesPassed ?? null,
      report: hasReport ? report : null,
    });
    return undefined;
  }
  const lines = [
    `Run ${record.id}: ${status} in ${formatDuration(record.durationMs)}`,
    `  started   ${record.startedAt}`,
    `  target    ${record.target}${record.environment ? ` (--env ${record.environment})` : ''}`,
    ...(record.git ? [`  commit    ${record.git.commit}${record.git.dirty ? ' (dirty)' : ''}`] : []),
    `  command   pipeline ${record.argv.join(' ')}`,
    '',
    'Stages:',
    ...Object.entries(record.stages).map(([name, stage]) => {
      const took = stage.durationMs !== undefined ? ` in ${formatDuration(stage.durationMs)}` : '';
      return `  ${name.padEnd(11)} ${stage.action}${took}${stage.error ? `: ${stage.error.split('\n')[0]}` : ''}`;
    }),
  ];
  if (metrics) {
    lines.push('', `Metrics${gatesPassed === false ? ' (a gate was missed)' : ''}:`);
    for (const [name, value] of Object.entries(metrics))
      lines.push(`  ${name.padEnd(20)} ${value.toFixed(4)}`);
  }
  // deploy.strategy gated and the model registry: what the run decided, and what it registered.
  const evaluated = record.stages.evaluate?.outputs;
  if (typeof evaluated?.verdict === 'string') lines.push('', `Candidate: ${evaluated.verdict}`);
  if (typeof evaluated?.modelPackageArn === 'string')
    lines.push(
      `Registered: ${typeof evaluated.modelPackageVersion === 'number' ? `version ${evaluated.modelPackageVersion}, ` : ''}${evaluated.modelPackageArn} (\`pipeline approve ${record.id}\` approves it)`,
    );
  const cost = recordedCost(record);
  if (cost) lines.push('', formatRunCost(cost));
  if (hasReport) lines.push('', `Report: ${relative(io.cwd ?? process.cwd(), report)}`);
  writeLine(io.stdout, lines.join('\n'));
  return undefined;
}
