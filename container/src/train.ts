// `train`: the SageMaker training entry. Reads /opt/ml/input (or $OPT_ML/input), trains, writes
// the model to /opt/ml/model and prints one stable metrics line per epoch for MetricDefinitions:
//   epoch=3 loss=0.1234 accuracy=0.9500 val_loss=0.1301 val_accuracy=0.9400
// On failure the reason goes to /opt/ml/output/failure (SageMaker's FailureReason) and the exit
// code is 1; on SIGTERM the model trained so far is saved and the exit code is 143.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { initBackend } from './backend.js';
import { DataError, type Dataset, readChannel } from './dataset.js';
import { engineWanted, SettingError } from './engine-choice.js';
import { HyperparameterError, parseHyperparameters } from './hyperparameters.js';
import { mlPaths } from './ml-paths.js';
import { buildModel } from './model.js';
import { saveModel } from './model-files.js';
import { stopWhenParentExits } from './parent-watch.js';
import { trainWithKernel } from './train-with-kernel.js';
import { trainWithTfjs } from './train-with-tfjs.js';
import type { EpochMetrics } from './training.js';

const paths = mlPaths();
const log = (line: string) => process.stdout.write(`${line}\n`);
let stopRequested = false;
process.on('SIGTERM', () => {
  log('SIGTERM received: stopping after this batch and saving the model trained so far');
  stopRequested = true;
});
stopWhenParentExits();

const formatMetrics = (m: EpochMetrics): string =>
  Object.entries(m)
    .map(([key, value]) => `${key}=${key === 'epoch' ? value : (value as number).toFixed(4)}`)
    .join(' ');

async function readJson(path: string, fallback?: unknown): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && fallback !== undefined) return fallback;
    throw new DataError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const backend = await initBackend(log);
  const engine = engineWanted('TRAINING_ENGINE') ?? 'kernel';
  log(`engine=${engine}`);
  const hp = parseHyperparameters((await readJson(paths.hyperparameters, {})) as Record<string, unknown>);
  log(`hyperparameters=${JSON.stringify(hp)}`);
  const channels = (await readJson(paths.inputDataConfig, { training: {} })) as Record<string, unknown>;
  if (!('training' in channels))
    throw new DataError('the "training" channel is missing from inputdataconfig.json');
  const trainRows = await readChannel(paths.channel('training'), hp.inputDim, hp.numClasses);
  const validation: Dataset | undefined =
    'validation' in channels
      ? await readChannel(paths.channel('validation'), hp.inputDim, hp.numClasses)
      : undefined;
  log(
    `training_rows=${trainRows.rows} validation_rows=${validation?.rows ?? 0} batch_size=${hp.minibatchSize}`,
  );

  const model = buildModel(hp);
  const train = engine === 'kernel' ? trainWithKernel : trainWithTfjs;
  const history = await train(model, hp, trainRows, validation, {
    onEpoch: (metrics) => {
      if (hp.verbose > 0 || metrics.epoch === hp.epochs) log(formatMetrics(metrics));
    },
    shouldStop: () => stopRequested,
  });
  const last = history.at(-1);
  await saveModel(model, paths.model, {
    hyperparameters: hp,
    backend,
    engine,
    epochsCompleted: history.length,
    finalMetrics: last ?? null,
  });
  log(
    `trained ${history.length} epochs in ${((Date.now() - started) / 1000).toFixed(1)}s; model saved to ${paths.model}`,
  );
  return stopRequested ? 143 : 0;
}

async function fail(error: unknown): Promise<number> {
  const known =
    error instanceof HyperparameterError || error instanceof DataError || error instanceof SettingError;
  const reason = known
    ? (error as Error).message
    : `unexpected error: ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`${reason}\n`);
  try {
    await mkdir(dirname(paths.failure), { recursive: true });
    await writeFile(paths.failure, reason);
  } catch (writeError) {
    process.stderr.write(`cannot write ${paths.failure}: ${(writeError as Error).message}\n`);
  }
  return 1;
}

process.exitCode = await main().catch(fail);
