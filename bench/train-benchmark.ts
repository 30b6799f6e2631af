// Training time of the example model on the original data set (../shared/seed-data) with the
// original's settings (200 epochs, its hyperparameters.json): the `train` program as SageMaker
// runs it (a fresh process: start-up, reading the data and saving the model included), on the
// WebAssembly kernel and on TensorFlow.js operations for each backend that loads here, with the
// test accuracy each reaches. Usage: node dist/bench/train-benchmark.js [--skip-cpu]
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { machineHeading } from './measure.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seedData = join(repoRoot, '..', 'shared', 'seed-data');
const train = join(repoRoot, 'container', 'dist', 'train.js');

async function jobFolder(): Promise<string> {
  const ml = join(tmpdir(), `pipeline-train-bench-${process.pid}`);
  await rm(ml, { recursive: true, force: true });
  for (const dir of ['input/config', 'input/data/training', 'input/data/validation', 'model', 'output']) {
    await mkdir(join(ml, dir), { recursive: true });
  }
  const original = JSON.parse(await readFile(join(seedData, 'hyperparameters.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const strings = Object.fromEntries(Object.entries(original).map(([k, v]) => [k, String(v)]));
  await writeFile(join(ml, 'input/config/hyperparameters.json'), JSON.stringify(strings));
  const channel = { ContentType: 'text/csv', TrainingInputMode: 'File' };
  await writeFile(
    join(ml, 'input/config/inputdataconfig.json'),
    JSON.stringify({ training: channel, validation: channel }),
  );
  await writeFile(
    join(ml, 'input/data/training/trainset.csv'),
    await readFile(join(seedData, 'trainset.csv')),
  );
  await writeFile(
    join(ml, 'input/data/validation/testset.csv'),
    await readFile(join(seedData, 'testset.csv')),
  );
  return ml;
}

interface Variant {
  label: string;
  env: Record<string, string>;
}

const variants: Variant[] = [
  { label: 'kernel (wasm SIMD)', env: { TRAINING_ENGINE: 'kernel' } },
  ...['tensorflow', 'wasm', 'cpu']
    .filter((backend) => !(backend === 'cpu' && process.argv.includes('--skip-cpu')))
    .map((backend) => ({
      label: `tfjs on ${backend}`,
      env: { TRAINING_ENGINE: 'tfjs', TFJS_BACKEND: backend },
    })),
];

const ml = await jobFolder();
const rows: string[] = [];
const seconds: Record<string, number> = {};
try {
  for (const variant of variants) {
    const started = process.hrtime.bigint();
    const result = await execa('node', [train], {
      env: { OPT_ML: ml, ...variant.env },
      reject: false,
      all: true,
    });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.exitCode !== 0) {
      rows.push(`| ${variant.label} | not available here | | |`);
      continue;
    }
    seconds[variant.label] = elapsed;
    const last =
      result.all
        .split('\n')
        .filter((l) => l.startsWith('epoch='))
        .at(-1) ?? '';
    const accuracy = last.match(/val_accuracy=([0-9.]+)/)?.[1] ?? '?';
    rows.push(
      `| ${variant.label} | ${elapsed.toFixed(1)} s | ${accuracy} | ${(elapsed / 200).toFixed(3)} s |`,
    );
  }
} finally {
  await rm(ml, { recursive: true, force: true });
}
const kernel = seconds['kernel (wasm SIMD)'];
const ratios = Object.entries(seconds)
  .filter(([label]) => label.startsWith('tfjs') && kernel)
  .map(([label, time]) => `the kernel is ${(time / (kernel as number)).toFixed(1)}× as fast as ${label}`);
process.stdout.write(
  [
    machineHeading(),
    '',
    '| training engine | 200 epochs | test accuracy | per epoch |',
    '|---|---|---|---|',
    ...rows,
    '',
    ratios.length > 0 ? `In this run ${ratios.join('; ')}.` : '',
    '',
  ].join('\n'),
);
