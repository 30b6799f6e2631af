// invoke: the evaluation rows sent to the endpoint in requests of at most 6 MiB; the predictions
// are kept beside the run's record, one line per row.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { REPORT_KEY, type Stage, type StageOutputs } from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import { hashJson } from '../src/shared/canonical-json.js';
import { StageError } from '../src/shared/errors.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';
import { noEndpointWork, readDeployOutputs } from './deploy.js';

/** What invoke records: the rows sent, and (in its report) this run's predictions file. */
export const readInvokeOutputs = outputReader('invoke', { rows: 'number', report: 'object?' });
export type InvokeOutputs = ReturnType<typeof readInvokeOutputs>;

export const invoke: Stage = {
  name: 'invoke',
  description: 'send the evaluation data to the endpoint',
  needs: ['deploy'],
  outs: {
    predictions: (outputs) => {
      const file = readInvokeOutputs(outputs).report?.predictionsFile;
      return typeof file === 'string' ? file : undefined;
    },
  },
  version: 3,
  disabled: (config) =>
    noEndpointWork(config)
      ? 'deploy.enabled is false: no endpoint to send the rows to (invoke.via transform needs none)'
      : undefined,
  inputs: (config) => ({
    config: { invoke: config.invoke, 'evaluate.labelColumn': config.evaluate?.labelColumn },
    files: config.invoke ? [{ path: config.invoke.data }] : [],
  }),
  run: async (ctx): Promise<StageOutputs> => {
    const settings = ctx.config.invoke;
    if (!settings) {
      ctx.log('no invoke section in pipeline.yaml: nothing to send');
      return { rows: 0 };
    }
    const { connect } = await import('../src/sagemaker/aws-connection.js');
    const { invokeInBatches } = await import('../src/sagemaker/invoke-batches.js');
    const { readEvaluationData } = await import('../src/review/evaluation-data.js');
    const text = await readFile(resolve(ctx.projectDir, settings.data), 'utf8');
    // A header line is not sent; nor is a label column evaluate reads the truth from.
    const { rows } = readEvaluationData(text, settings.data, {
      header: settings.header,
      contentType: settings.contentType,
      ...(ctx.config.evaluate?.labelColumn !== undefined
        ? { labelColumn: ctx.config.evaluate.labelColumn }
        : {}),
    });
    if (rows.length === 0) throw new StageError(`${settings.data} has no rows to send`);
    const deployed = readDeployOutputs(ctx.upstream.deploy);
    const { endpointName } = deployed;
    ctx.step('connecting');
    const connection = await connect(ctx.config, ctx.stateDir);
    // A candidate not yet judged (deploy.strategy gated): the same rows to it and to the champion.
    const champion = deployed.champion as { variant?: string } | undefined;
    const judging =
      endpointName !== undefined &&
      champion?.variant !== undefined &&
      typeof deployed.candidateVariant === 'string' &&
      (await (
        await import('../src/sagemaker/candidate-deploy.js')
      ).candidateOnEndpoint(connection, endpointName, deployed.deploymentName));
    // invoke.via transform: a batch transform job on the deployed model (on the candidate's and the
    // champion's models each, when a candidate is being judged), in place of requests to the endpoint.
    const viaTransform = settings.via === 'transform';
    // Billed as the jobs' instances ran: the run's cost reads it (src/review/run-cost.ts).
    let transformSeconds = 0;
    const transform = async (modelName: string, label: string) => {
      const { transformRows } = await import('../src/sagemaker/batch-transform.js');
      const saved = ctx.resumeHandle?.[`${label}Job`];
      const done = await transformRows({
        connection,
        config: ctx.config,
        modelName,
        rows,
        runId: ctx.runId,
        label,
        ...(typeof saved === 'string' ? { resumeJobName: saved } : {}),
        saveJobName: (name) => ctx.saveHandle({ ...(ctx.resumeHandle ?? {}), [`${label}Job`]: name }),
        step: ctx.step,
        log: ctx.log,
        signal: ctx.signal,
      });
      transformSeconds += done.seconds;
      return { predictions: done.predictions, requests: 0, retries: 0, transformJob: done.jobName };
    };
    const ask = (targetVariant?: string) =>
      invokeInBatches({
        connection,
        // Only transform runs without an endpoint (deploy.enabled false turns invoke off otherwise).
        endpointName: endpointName as string,
        ...(targetVariant ? { targetVariant } : {}),
        rows,
        contentType: settings.contentType,
        accept: settings.accept,
        batchSize: settings.batchSize,
        concurrency: settings.concurrency,
        step: ctx.step,
        progress: ctx.progress,
        log: ctx.log,
        signal: ctx.signal,
      });
    const result = viaTransform
      ? await transform(deployed.deploymentName, 'candidate')
      : await ask(judging ? (deployed.candidateVariant as string) : undefined);
    const runFiles = pipelinePaths.runFiles(ctx.stateDir, ctx.runId);
    await mkdir(runFiles, { recursive: true });
    const file = join(runFiles, 'predictions.txt');
    await writeFile(file, `${result.predictions.join('\n')}\n`);
    ctx.log(
      'transformJob' in result
        ? `${rows.length} predictions by the transform job ${result.transformJob}: ${relative(ctx.projectDir, file)}`
        : `${rows.length} predictions in ${result.requests} requests (${result.retries} retried): ${relative(ctx.projectDir, file)}`,
    );
    let championFile: string | undefined;
    if (judging) {
      const served = viaTransform
        ? await transform((deployed.champion as { deploymentName: string }).deploymentName, 'champion')
        : await ask(champion?.variant);
      championFile = join(runFiles, 'champion-predictions.txt');
      await writeFile(championFile, `${served.predictions.join('\n')}\n`);
      ctx.log(`the serving model's ${rows.length} predictions: ${relative(ctx.projectDir, championFile)}`);
    }
    return {
      ...(endpointName !== undefined ? { endpointName } : {}),
      rows: rows.length,
      predictionsHash: `sha256:${hashJson(result.predictions)}`,
      // The file is this run's own; what it holds is the hash above.
      [REPORT_KEY]: {
        predictionsFile: relative(ctx.projectDir, file),
        ...(championFile ? { championPredictionsFile: relative(ctx.projectDir, championFile) } : {}),
        requests: result.requests,
        retries: result.retries,
        ...('transformJob' in result
          ? { transformJob: result.transformJob as string, transformSeconds }
          : {}),
      },
    };
  },
};
