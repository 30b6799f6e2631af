// The evaluate stage's work: predictions against the ground truth, the gates, and the run's
// metrics.json, report.html and summary.md beside its record in .pipeline/runs/RUN_ID/.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { EvaluateSettings, PipelineConfig } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';
import { readEvaluationData } from './evaluation-data.js';
import { experimentParams } from './experiment-params.js';
import { checkGates, describeMissedGates, type GateResult } from './gates.js';
import { renderHtmlReport } from './html-report.js';
import { readPredictions, readTruth, readValues } from './labels.js';
import { renderMarkdownSummary } from './markdown-summary.js';
import { HEADLINE_METRICS } from './metric-direction.js';
import { computeMetrics, flatMetrics, type Metrics } from './metrics.js';
import { comparedWith, type PreviousEvaluation } from './previous-evaluation.js';
import {
  computeRegressionMetrics,
  flatRegressionMetrics,
  type RegressionMetrics,
} from './regression-metrics.js';
import { trainingCurves } from './training-curves.js';
import type { TuningSummary } from './tuning-review.js';

export interface EvaluateRequest {
  config: PipelineConfig;
  settings: EvaluateSettings;
  projectDir: string;
  /** .pipeline/runs/RUN_ID: where this run's files go. */
  runDir: string;
  runId: string;
  predictionsFile: string;
  /**
   * deploy.strategy gated: the serving model's predictions for the same rows (sent to its variant),
   * scored beside the candidate's; the gates against `champion` compare with them.
   */
  championPredictionsFile?: string;
  trainLogFile?: string;
  jobName?: string;
  /** The tuning job train ran, when it tuned: the report's and the summary's Tuning section. */
  tuning?: TuningSummary;
  /** The latest earlier run that evaluated: the baseline for deltas and changed settings. */
  previous?: PreviousEvaluation;
  git?: { commit: string; dirty?: boolean };
  log(line: string): void;
}

export type Evaluation = {
  metrics: Record<string, number>;
  /** The serving model's metrics on the same rows, when it was evaluated beside the candidate. */
  championMetrics?: Record<string, number>;
  gates: GateResult[];
  params: Record<string, unknown>;
  classes: string[];
  rows: number;
  files: { metrics: string; report: string; summary: string };
  missed: string[];
};

function classNamesFor(
  settings: EvaluateSettings,
  counts: (number | undefined)[],
  labels: number[],
): string[] {
  const known = counts.filter((count): count is number => count !== undefined);
  const [first] = known;
  if (first !== undefined && known.some((count) => count !== first)) {
    throw new StageError(
      `the ground truth and the predictions disagree on the number of classes (${known.join(' vs ')})`,
    );
  }
  const count = Math.max(first ?? 0, settings.classNames?.length ?? 0, ...labels.map((label) => label + 1));
  if (settings.classNames && settings.classNames.length !== count) {
    throw new StageError(
      `evaluate.classNames names ${settings.classNames.length} classes, but the data has ${count}`,
    );
  }
  return settings.classNames ? [...settings.classNames] : Array.from({ length: count }, (_, i) => String(i));
}

/** The true labels, one per line: the groundTruth file, or the labelColumn of invoke.data. */
async function groundTruthOf(request: EvaluateRequest): Promise<{ text: string; name: string }> {
  const { settings, config } = request;
  if (settings.groundTruth !== undefined)
    return {
      text: await readFile(resolve(request.projectDir, settings.groundTruth), 'utf8'),
      name: settings.groundTruth,
    };
  const invoke = config.invoke;
  if (!invoke || settings.labelColumn === undefined)
    throw new StageError('evaluate needs groundTruth, or labelColumn with an invoke section');
  const data = readEvaluationData(
    await readFile(resolve(request.projectDir, invoke.data), 'utf8'),
    invoke.data,
    {
      header: invoke.header,
      contentType: invoke.contentType,
      labelColumn: settings.labelColumn,
    },
  );
  // Each label on its own line of the file, so that a message about one names the line it is on.
  const text: string[] = [];
  for (const [index, label] of (data.labels ?? []).entries())
    text[(data.lines[index] ?? index + 1) - 1] = label;
  return {
    text: `${Array.from(text, (label) => label ?? '').join('\n')}\n`,
    name: `${invoke.data} (column ${settings.labelColumn})`,
  };
}

/** The predictions scored against the truth: classes, or values for a regression. */
async function score(
  request: EvaluateRequest,
  predictionsFile = request.predictionsFile,
): Promise<{ metrics: Metrics | RegressionMetrics; flat: Record<string, number>; classes: string[] }> {
  const { settings } = request;
  const { text: truthText, name: truthName } = await groundTruthOf(request);
  const predictionsText = await readFile(resolve(request.projectDir, predictionsFile), 'utf8');
  const mustMatch = (truthRows: number, predictionRows: number): void => {
    if (truthRows !== predictionRows)
      throw new StageError(
        `${truthName} has ${truthRows} rows but there are ${predictionRows} predictions`,
        'The ground truth needs one row per row of invoke.data, in the same order.',
      );
  };
  if (settings.task === 'regression') {
    const truth = readValues(truthText, truthName);
    const predicted = readValues(predictionsText, predictionsFile, settings.predictionField);
    mustMatch(truth.length, predicted.length);
    const metrics = computeRegressionMetrics(truth, predicted);
    return { metrics, flat: flatRegressionMetrics(metrics), classes: [] };
  }
  const truth = readTruth(truthText, truthName, settings.labelFormat, settings.classNames);
  const predictions = readPredictions(
    predictionsText,
    predictionsFile,
    settings.classNames,
    settings.predictionField,
  );
  mustMatch(truth.labels.length, predictions.labels.length);
  const classes = classNamesFor(
    settings,
    [truth.classCount, predictions.classCount],
    [...truth.labels, ...predictions.labels],
  );
  const metrics: Metrics = computeMetrics({
    truth: truth.labels,
    predicted: predictions.labels,
    ...(predictions.probabilities ? { probabilities: predictions.probabilities } : {}),
    classes,
  });
  return { metrics, flat: flatMetrics(metrics), classes };
}

export async function evaluateRun(request: EvaluateRequest): Promise<Evaluation> {
  const { settings } = request;
  const { metrics, flat, classes } = await score(request);
  const championMetrics = request.championPredictionsFile
    ? (await score(request, request.championPredictionsFile)).flat
    : undefined;
  const gates = checkGates(settings.gates, flat, championMetrics);
  const missed = describeMissedGates(gates, Object.keys(flat));
  const params = experimentParams(request.config);

  const curves = request.trainLogFile
    ? trainingCurves(
        await readFile(resolve(request.projectDir, request.trainLogFile), 'utf8').catch(() => ''),
        request.config.training.metricDefinitions,
      )
    : {};

  await mkdir(request.runDir, { recursive: true });
  const files = {
    metrics: join(request.runDir, 'metrics.json'),
    report: join(request.runDir, 'report.html'),
    summary: join(request.runDir, 'summary.md'),
  };
  const { previous } = request;
  await writeFile(
    files.metrics,
    `${JSON.stringify(
      {
        runId: request.runId,
        metrics: flat,
        ...(championMetrics ? { champion: championMetrics } : {}),
        detail: metrics,
        gates,
        passed: missed.length === 0,
        // What the deltas are measured from: the run's summary shows them without the history.
        ...(previous ? { comparedWith: comparedWith(previous) } : {}),
      },
      null,
      2,
    )}\n`,
  );
  await writeFile(
    files.report,
    renderHtmlReport({
      pipeline: request.config.name,
      runId: request.runId,
      target: request.config.target,
      createdAt: new Date().toISOString(),
      ...(request.git ? { git: request.git } : {}),
      ...(request.jobName ? { jobName: request.jobName } : {}),
      metrics,
      flat,
      ...(previous ? { previous } : {}),
      gates,
      curves,
      ...(championMetrics ? { champion: championMetrics } : {}),
      ...(request.tuning ? { tuning: request.tuning } : {}),
    }),
  );
  await writeFile(
    files.summary,
    renderMarkdownSummary({
      pipeline: request.config.name,
      runId: request.runId,
      flat,
      ...(previous ? { previous } : {}),
      gates,
      ...(request.jobName ? { jobName: request.jobName } : {}),
      ...(championMetrics ? { champion: championMetrics } : {}),
      ...(request.tuning ? { tuning: request.tuning } : {}),
    }),
  );
  for (const warning of metrics.warnings) request.log(`note: ${warning}`);
  const shown = HEADLINE_METRICS.filter((name) => flat[name] !== undefined);
  request.log(shown.map((name) => `${name}=${(flat[name] as number).toFixed(4)}`).join(' '));
  const rel = (file: string) => relative(request.projectDir, file);
  if (championMetrics) {
    const shownChampion = HEADLINE_METRICS.filter((name) => championMetrics[name] !== undefined);
    request.log(
      `the serving model on the same rows: ${shownChampion.map((name) => `${name}=${(championMetrics[name] as number).toFixed(4)}`).join(' ')}`,
    );
  }
  return {
    metrics: flat,
    ...(championMetrics ? { championMetrics } : {}),
    gates,
    params,
    classes,
    rows: metrics.rows,
    files: { metrics: rel(files.metrics), report: rel(files.report), summary: rel(files.summary) },
    missed,
  };
}
