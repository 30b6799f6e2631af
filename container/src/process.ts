// `process`: the example image's SageMaker Processing entry (the pipeline's `prepare` stage).
// Splits the raw rows of /opt/ml/processing/input/raw (or $OPT_ML/...) into a training and a
// validation set, shuffled with a seeded generator so the same inputs always give the same split:
//   /opt/ml/processing/output/training/train.csv, /opt/ml/processing/output/validation/validation.csv
// Settings come from PIPELINE_PARAMS (the stage's params): validation_fraction (0.2) and seed (1).
// On failure the reason goes to /opt/ml/output/message (the job's ExitMessage) and the exit code is 1.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mlPaths } from './ml-paths.js';
import { mulberry32, shuffledOrder } from './shuffle.js';

const root = mlPaths().root;
const input = join(root, 'processing', 'input', 'raw');
const output = (name: string, file: string) => join(root, 'processing', 'output', name, file);

class SplitError extends Error {}

function settings(): { fraction: number; seed: number } {
  const params = JSON.parse(process.env.PIPELINE_PARAMS ?? '{}') as Record<string, unknown>;
  const fraction = Number(params.validation_fraction ?? 0.2);
  const seed = Number(params.seed ?? 1);
  if (!(fraction > 0 && fraction < 1))
    throw new SplitError(`validation_fraction must be between 0 and 1, not ${params.validation_fraction}`);
  if (!Number.isInteger(seed)) throw new SplitError(`seed must be a whole number, not ${params.seed}`);
  return { fraction, seed };
}

async function rawRows(): Promise<string[]> {
  const files = (await readdir(input, { recursive: true })).filter((name) => name.endsWith('.csv')).sort();
  if (files.length === 0) throw new SplitError(`no .csv file in ${input}`);
  const rows: string[] = [];
  for (const file of files)
    for (const line of (await readFile(join(input, file), 'utf8')).split('\n'))
      if (line.trim() !== '') rows.push(line);
  return rows;
}

async function write(file: string, rows: readonly string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, rows.length > 0 ? `${rows.join('\n')}\n` : '');
}

try {
  const { fraction, seed } = settings();
  const rows = await rawRows();
  const order = shuffledOrder(rows.length, mulberry32(seed));
  const validationCount = Math.max(1, Math.round(rows.length * fraction));
  const shuffled = Array.from(order, (index) => rows[index] as string);
  await write(output('training', 'train.csv'), shuffled.slice(validationCount));
  await write(output('validation', 'validation.csv'), shuffled.slice(0, validationCount));
  process.stdout.write(
    `split ${rows.length} rows: ${rows.length - validationCount} for training, ${validationCount} for validation (seed ${seed})\n`,
  );
} catch (error) {
  const message =
    error instanceof SplitError ? error.message : `unexpected: ${(error as Error).stack ?? error}`;
  process.stderr.write(`${message}\n`);
  await mkdir(join(root, 'output'), { recursive: true });
  await writeFile(join(root, 'output', 'message'), message);
  process.exitCode = 1;
}
