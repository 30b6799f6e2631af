// evaluate: metrics of the predictions against the ground truth, and the gates they must pass.
// Its files (metrics.json, report.html, summary.md) are written even when a gate is missed.

import { resolve } from 'node:path';
import { REPORT_KEY, type Stage, type StageContext, type StageOutputs } from '../src/engine/stage.js';
import type { Evaluation } from '../src/review/evaluate-run.js';
import { tuningOf } from '../src/review/tuning-review.js';
import type { Champion } from '../src/sagemaker/candidate-deploy.js';
import type { RegisteredVersion } from '../src/sagemaker/model-registry.js';
import { StageError } from '../src/shared/errors.js';
import { pathExists } from '../src/shared/path-exists.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';
import { noEndpointWork, readDeployOutputs } from './deploy.js';
import { readInvokeOutputs } from './invoke.js';
import { readTrainOutputs, type TrainOutputs } from './train.js';

/** A file evaluate wrote (its path relative to the project), from its recorded outputs. */
const reportFile = (outputs: StageOutputs, name: string): string | undefined => {
  const files = outputs[REPORT_KEY];
  const path = files && typeof files === 'object' && !Array.isArray(files) ? files[name] : undefined;
  return typeof path === 'string' ? path : undefined;
};

/** Promotes the candidate that passed, or rolls back the one that did not (candidate-deploy.ts). */
async function judge(ctx: StageContext, passed: boolean): Promise<string | undefined> {
  const deployed = readDeployOutputs(ctx.upstream.deploy);
  const champion = deployed.champion as Champion | undefined;
  if (!champion) return undefined;
  const { connect } = await import('../src/sagemaker/aws-connection.js');
  const { judgeCandidate } = await import('../src/sagemaker/candidate-deploy.js');
  const { ledgerFile } = await import('../src/sagemaker/deployments-ledger.js');
  const verdict = await judgeCandidate(
    {
      connection: await connect(ctx.config, ctx.stateDir),
      config: ctx.config,
      ledgerFile: ledgerFile(ctx.stateDir, ctx.config.target),
      deploymentName: deployed.deploymentName,
      champion,
      step: ctx.step,
      log: ctx.log,
      signal: ctx.signal,
    },
    passed,
  );
  ctx.log(`the candidate ${deployed.deploymentName}: ${verdict}`);
  return verdict;
}

/**
 * A model that passed its gates becomes the next version of the pipeline's group in the model
 * registry, waiting for approval. Not in an environment that serves approved versions only: what
 * it evaluated is a version already.
 */
async function register(
  ctx: StageContext,
  evaluation: Evaluation,
  trained: TrainOutputs,
  commit: string | undefined,
): Promise<RegisteredVersion | undefined> {
  if (ctx.config.deploy.requireApproval) return undefined;
  const { connect } = await import('../src/sagemaker/aws-connection.js');
  const { registerModel, modelGroupOf } = await import('../src/sagemaker/model-registry.js');
  const { readFile } = await import('node:fs/promises');
  ctx.step('registering the model');
  const registered = await registerModel({
    connection: await connect(ctx.config, ctx.stateDir),
    config: ctx.config,
    runId: ctx.runId,
    imageUri: trained.imageUri,
    modelArtifact: trained.modelArtifact,
    metricsJson: await readFile(resolve(ctx.projectDir, evaluation.files.metrics), 'utf8'),
    metrics: evaluation.metrics,
    ...(commit ? { commit } : {}),
    log: ctx.log,
  });
  ctx.log(
    `registered as version ${registered.version} of ${modelGroupOf(ctx.config)}, waiting for approval: \`pipeline approve ${ctx.runId}\``,
  );
  return registered;
}

export const evaluate: Stage = {
  name: 'evaluate',
  description: 'score the predictions against the ground truth',
  needs: ['train', 'deploy', 'invoke'],
  version: 2,
  disabled: (config) =>
    noEndpointWork(config)
      ? 'deploy.enabled is false: nothing is invoked to evaluate (invoke.via transform needs no endpoint)'
      : undefined,
  outs: {
    metrics: (outputs) => reportFile(outputs, 'metrics'),
    report: (outputs) => reportFile(outputs, 'report'),
    summary: (outputs) => reportFile(outputs, 'summary'),
  },
  inputs: (config) => ({
    config: {
      evaluate: config.evaluate,
      'invoke.header': config.invoke?.header,
      'training.metricDefinitions': config.training.metricDefinitions,
    },
    // The truth is its own file, or a column of invoke.data (whose layout invoke's settings give).
    files: config.evaluate?.groundTruth
      ? [{ path: config.evaluate.groundTruth }]
      : config.evaluate && config.invoke
        ? [{ path: config.invoke.data }]
        : [],
  }),
  run: async (ctx): Promise<StageOutputs> => {
    const settings = ctx.config.evaluate;
    if (!settings) {
      ctx.log('no evaluate section in pipeline.yaml: nothing to score');
      return {};
    }
    const { evaluateRun } = await import('../src/review/evaluate-run.js');
    const { readGitInfo, isWorkTreeDirty } = await import('../src/engine/state/git-info.js');
    const invoked = readInvokeOutputs(ctx.upstream.invoke).report;
    const predictionsFile = invoked?.predictionsFile;
    const championPredictionsFile =
      typeof invoked?.championPredictionsFile === 'string' ? invoked.championPredictionsFile : undefined;
    if (typeof predictionsFile !== 'string') {
      throw new StageError('the invoke stage recorded no predictions file: run `pipeline run --from invoke`');
    }
    const trained = readTrainOutputs(ctx.upstream.train);
    const logFile = trained.report?.logFile;
    if (!(await pathExists(resolve(ctx.projectDir, predictionsFile)))) {
      throw new StageError(
        `the predictions of the last invoke (${predictionsFile}) are gone: run \`pipeline run --from invoke\` to ask the endpoint again`,
      );
    }
    const git = await readGitInfo(ctx.projectDir);
    const dirty = git ? await isWorkTreeDirty(ctx.projectDir) : undefined;
    // Compared with the latest earlier run that evaluated, as `runs` and `diff` show the history,
    // whether its gates passed or not (the report says which).
    const { previousEvaluation } = await import('../src/review/previous-evaluation.js');
    const previous = await previousEvaluation(ctx.stateDir, ctx.runId);
    const tuning = tuningOf(ctx.upstream.train);
    const evaluation = await evaluateRun({
      // What the report and summary show, and compare with the previous run: secrets as digests.
      config: ctx.displayConfig,
      settings,
      projectDir: ctx.projectDir,
      runDir: pipelinePaths.runFiles(ctx.stateDir, ctx.runId),
      runId: ctx.runId,
      predictionsFile,
      ...(championPredictionsFile ? { championPredictionsFile } : {}),
      ...(typeof logFile === 'string' ? { trainLogFile: logFile } : {}),
      jobName: trained.jobName,
      ...(tuning ? { tuning } : {}),
      ...(previous ? { previous } : {}),
      ...(git ? { git: { commit: git.commit, ...(dirty !== undefined ? { dirty } : {}) } } : {}),
      log: ctx.log,
    });
    ctx.log(`report: ${evaluation.files.report}`);
    // deploy.strategy gated: the gates' verdict decides who serves.
    const verdict = championPredictionsFile ? await judge(ctx, evaluation.missed.length === 0) : undefined;
    if (evaluation.missed.length > 0) {
      throw new StageError(
        evaluation.missed.join('\n'),
        [
          ...(verdict === 'rolled back'
            ? ['The candidate was removed: the serving model keeps all the traffic.']
            : []),
          `The report: ${evaluation.files.report}`,
        ].join('\n'),
      );
    }
    const registered = await register(ctx, evaluation, trained, git?.commit);
    const { missed: _missed, files, params, ...made } = evaluation;
    // The config values are JSON already: they came from YAML.
    return {
      ...(made as StageOutputs),
      params: params as StageOutputs,
      ...(verdict ? { verdict } : {}),
      ...(registered
        ? { modelPackageArn: registered.modelPackageArn, modelPackageVersion: registered.version }
        : {}),
      [REPORT_KEY]: files,
    };
  },
};
