// local-test: what run_local.sh and predict.sh did in the original example, automated. The image
// trains in a job folder laid out as /opt/ml (from the data channels, or a copy of a local mirror);
// its exit status and /opt/ml/output/failure are checked; the model it wrote is then served, and
// sample rows must each get one answer.
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PipelineConfig } from '../src/engine/config/pipeline-config.js';
import { localChannels } from '../src/engine/graph/stage-graph.js';
import type { Stage, StageContext, StageOutputs } from '../src/engine/stage.js';
import { readEvaluationData } from '../src/review/evaluation-data.js';
import {
  makeOutputFolders,
  optMl,
  trainingHosts,
  writeHyperparameters,
  writeInputDataConfig,
  writeResourceConfig,
} from '../src/runtimes/opt-ml.js';
import { waitForPing } from '../src/runtimes/wait-for-ping.js';
import { hyperparameterStrings } from '../src/sagemaker/hyperparameter-strings.js';
import { StageError } from '../src/shared/errors.js';
import { freePort } from '../src/shared/free-port.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';
import { recordsBody } from '../src/shared/record-body.js';
import { filterRecord, formatOf, parseJsonPath } from '../src/shared/transform-records.js';
import { readBuildOutputs } from './build.js';

/**
 * The job folder local-test trains in, laid out as /opt/ml: a scratch copy of localTest.context
 * when there is one (the user's files are never changed), else what the training job will get:
 * each data channel under input/data/CHANNEL and SageMaker's config files. Either way with a
 * fresh output side and localTest.hyperparameters over the others.
 */
async function prepareJobFolder(ctx: StageContext, jobDir: string): Promise<void> {
  const { localTest, training, data } = ctx.config;
  await rm(jobDir, { recursive: true, force: true });
  let base: Record<string, string> = {};
  if (localTest.context !== undefined) {
    await cp(resolve(ctx.projectDir, localTest.context), jobDir, { recursive: true });
    base = JSON.parse(
      await readFile(join(optMl.config(jobDir), 'hyperparameters.json'), 'utf8').catch(() => '{}'),
    );
  } else {
    for (const [channel, settings] of Object.entries(localChannels(ctx.config)))
      await cp(resolve(ctx.projectDir, settings.path), optMl.channel(jobDir, channel), { recursive: true });
    await writeInputDataConfig(
      jobDir,
      Object.entries(data).map(([name, settings]) => ({
        name,
        ...(settings.contentType ? { contentType: settings.contentType } : {}),
        distribution: settings.distribution,
      })),
    );
    await writeResourceConfig(jobDir, trainingHosts(1));
    base = hyperparameterStrings(training.hyperparameters);
  }
  // A fresh output side, as a new training job has.
  await rm(optMl.model(jobDir), { recursive: true, force: true });
  await rm(optMl.output(jobDir), { recursive: true, force: true });
  await makeOutputFolders(jobDir);
  await writeHyperparameters(jobDir, { ...base, ...hyperparameterStrings(localTest.hyperparameters) });
}

/** The rows to send the served model: localTest.sampleData, else what invoke sends. */
const sampleDataPath = (config: PipelineConfig): string | undefined =>
  config.localTest.sampleData ?? config.invoke?.data;

/** A row to send, and where it is in its file (for a message about it). */
interface SampleRow {
  row: string;
  where: string;
}

/** The transform job's InputFilter as a function of a row, when invoke goes through one with a filter. */
function transformInputFilter(config: PipelineConfig): ((row: string) => string) | undefined {
  const invoke = config.invoke;
  const expression = invoke?.via === 'transform' ? invoke.transform.inputFilter : undefined;
  const format = formatOf(invoke?.contentType);
  if (!expression || !format) return undefined;
  const path = parseJsonPath(expression, 'invoke.transform.inputFilter');
  return (row) => filterRecord(row, path, format);
}

async function sampleRows(ctx: StageContext): Promise<SampleRow[] | undefined> {
  const { config } = ctx;
  const path = sampleDataPath(config);
  if (!path) return undefined;
  const text = await readFile(resolve(ctx.projectDir, path), 'utf8');
  // invoke.data is sent as invoke sends it: no header line, no label column.
  const { rows, lines } = readEvaluationData(
    text,
    path,
    config.localTest.sampleData === undefined && config.invoke
      ? {
          header: config.invoke.header,
          contentType: config.invoke.contentType,
          ...(config.evaluate?.labelColumn !== undefined ? { labelColumn: config.evaluate.labelColumn } : {}),
        }
      : { header: false, ...(config.invoke ? { contentType: config.invoke.contentType } : {}) },
  );
  // invoke.via transform with an input filter: the model sees each row as the transform job sends it.
  const filter = config.localTest.sampleData === undefined ? transformInputFilter(config) : undefined;
  return spreadSample(
    rows.map((row, index) => ({
      row: filter ? filter(row) : row,
      where: `${path}:${lines[index] ?? index + 1}`,
    })),
    config.localTest.sampleRows,
  );
}

/**
 * The first sample row the served model refuses alone, with its answer: a batch it refused is
 * sent again row by row, so that the message names the row.
 */
async function firstRefusedRow(
  url: string,
  rows: readonly SampleRow[],
  headers: Record<string, string>,
  contentType: string,
): Promise<{ row: SampleRow; status: number; answer: string } | undefined> {
  for (const row of rows) {
    const response = await fetch(url, { method: 'POST', headers, body: recordsBody([row.row], contentType) });
    const answer = await response.text();
    if (response.status !== 200) return { row, status: response.status, answer };
  }
  return undefined;
}

/** `count` rows spread evenly over the file (its first and last included), not its first lines. */
export function spreadSample<T>(rows: readonly T[], count: number): T[] {
  if (rows.length <= count) return [...rows];
  if (count === 1) return [rows[0] as T];
  return Array.from(
    { length: count },
    (_, index) => rows[Math.round((index * (rows.length - 1)) / (count - 1))] as T,
  );
}

export const localTest: Stage = {
  name: 'local-test',
  description: 'train and serve the image locally, on the data channels or a local /opt/ml mirror',
  needs: ['build'],
  version: 3,
  inputs: (config) => ({
    config: {
      localTest: config.localTest,
      'invoke.data': config.invoke?.data,
      'invoke.contentType': config.invoke?.contentType,
      'invoke.accept': config.invoke?.accept,
      'invoke.header': config.invoke?.header,
      // Absent unless invoke goes through a transform job with a filter: fingerprints are unchanged.
      'invoke.transform.inputFilter':
        config.invoke?.via === 'transform' ? config.invoke.transform.inputFilter : undefined,
      'evaluate.labelColumn': config.evaluate?.labelColumn,
      // Without a context, the job folder is made of these.
      ...(config.localTest.context === undefined
        ? { data: config.data, 'training.hyperparameters': config.training.hyperparameters }
        : {}),
    },
    files: [
      ...(config.localTest.context !== undefined
        ? [{ path: config.localTest.context, exclude: ['model', 'output'] }]
        : Object.values(localChannels(config)).map((channel) => ({ path: channel.path }))),
      ...(sampleDataPath(config) ? [{ path: sampleDataPath(config) as string }] : []),
    ],
  }),
  run: async (ctx): Promise<StageOutputs> => {
    // Loaded here, not at start-up: the runtimes bring execa and docker's helpers.
    const { runtimeFor } = await import('../src/runtimes/select-runtime.js');
    const image = readBuildOutputs(ctx.upstream.build, ctx.projectDir);
    const runtime = runtimeFor(image);
    const jobDir = pipelinePaths.localTestJob(ctx.stateDir);
    await prepareJobFolder(ctx, jobDir);

    ctx.step(`training (${runtime.kind})`);
    const started = Date.now();
    const timeout = AbortSignal.any([
      ctx.signal,
      AbortSignal.timeout(ctx.config.localTest.timeoutSeconds * 1000),
    ]);
    const { exitCode } = await runtime.train({
      image,
      mlDir: jobDir,
      log: ctx.log,
      signal: timeout,
      stopGraceSeconds: 10,
    });
    const trainSeconds = (Date.now() - started) / 1000;
    if (exitCode !== 0) {
      const failure = (await readFile(join(jobDir, 'output', 'failure'), 'utf8').catch(() => '')).trim();
      const why =
        timeout.aborted && !ctx.signal.aborted
          ? ` after the ${ctx.config.localTest.timeoutSeconds}s limit`
          : '';
      throw new StageError(
        `local training failed (exit ${exitCode})${why}${failure ? `: ${failure.split('\n')[0]}` : ''}`,
        `${failure ? `${failure}\n` : ''}The job folder is kept for inspection: ${jobDir}`,
      );
    }
    const modelFiles = (await readdir(join(jobDir, 'model'))).sort();
    if (modelFiles.length === 0) throw new StageError('training exited 0 but wrote nothing to /opt/ml/model');

    ctx.step(`serving the model (${runtime.kind})`);
    // The server's last lines, for the message when it never becomes healthy.
    const served: string[] = [];
    const server = await runtime.serve({
      image,
      modelDir: join(jobDir, 'model'),
      port: await freePort(),
      log: (line) => {
        served.push(line);
        if (served.length > 15) served.shift();
        ctx.log(line);
      },
    });
    try {
      await waitForPing(server, ctx.config.deploy.startupTimeoutSeconds ?? 60).catch((error: Error) => {
        throw new StageError(
          `the served model never became healthy: ${error.message}`,
          served.length > 0
            ? `The server's last lines:\n${served.join('\n')}`
            : 'The server printed nothing.',
        );
      });
      const rows = await sampleRows(ctx);
      if (!rows) {
        ctx.log('no invoke.data or localTest.sampleData: /ping checked, no rows sent');
        return { trainSeconds, modelFiles, rowsChecked: 0, jobDir };
      }
      ctx.step(`sending ${rows.length} sample rows`);
      const contentType = ctx.config.invoke?.contentType ?? 'text/csv';
      const headers = { 'Content-Type': contentType, Accept: ctx.config.invoke?.accept ?? 'text/csv' };
      const response = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers,
        body: recordsBody(
          rows.map(({ row }) => row),
          contentType,
        ),
      });
      const body = await response.text();
      if (response.status !== 200) {
        ctx.step('finding the row it refuses');
        const refused = await firstRefusedRow(`${server.url}/invocations`, rows, headers, contentType);
        const answered = (status: number, answer: string) =>
          `it answered ${status}${answer.trim() ? `: ${answer.trim().slice(0, 500)}` : ' with an empty body'}`;
        throw new StageError(
          `the served model answered ${response.status} to ${rows.length} sample rows`,
          refused
            ? `Sent alone, the row at ${refused.row.where} ("${refused.row.row.slice(0, 120)}") is refused too: ${answered(refused.status, refused.answer)}`
            : `Each row sent alone is answered: the batch is refused as a whole (${answered(response.status, body)})`,
        );
      }
      const answers = body.split(/\r?\n/).filter((line) => line.trim() !== '');
      if (answers.length !== rows.length) {
        throw new StageError(
          `the served model answered ${answers.length} rows for ${rows.length} sent`,
          body,
        );
      }
      ctx.log(`first answer: ${answers[0]}`);
      return { trainSeconds, modelFiles, rowsChecked: rows.length, firstAnswer: answers[0] ?? '', jobDir };
    } finally {
      await server.stop(5);
    }
  },
};
