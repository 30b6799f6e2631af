// Training time of the example model on the original data set (../shared/seed-data) with the
// original's settings (200 epochs, its hyperparameters.json), for each TensorFlow.js backend that
// loads here, with the test accuracy each reaches. Usage: node dist/bench/train-benchmark.js
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

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

const ml = await jobFolder();
const rows: string[] = [];
const seconds: Record<string, number> = {};
try {
  for (const backend of ['tensorflow', 'wasm', 'cpu']) {
    const started = process.hrtime.bigint();
    const result = await execa('node', [train], {
      env: { OPT_ML: ml, TFJS_BACKEND: backend },
      reject: false,
      all: true,
    });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.exitCode !== 0) {
      rows.push(`| ${backend} | not available here | | |`);
      continue;
    }
    seconds[backend] = elapsed;
    const last =
      result.all
        .split('\n')
        .filter((l) => l.startsWith('epoch='))
        .at(-1) ?? '';
    const accuracy = last.match(/val_accuracy=([0-9.]+)/)?.[1] ?? '?';
    rows.push(`| ${backend} | ${elapsed.toFixed(1)} s | ${accuracy} | ${(elapsed / 200).toFixed(2)} s |`);
  }
} finally {
  await rm(ml, { recursive: true, force: true });
}
const ratio =
  seconds.wasm && seconds.cpu
    ? `\nwasm is ${(seconds.cpu / seconds.wasm).toFixed(2)}× as fast as cpu in this run.`
    : '';
process.stdout.write(
  [
    `### ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, node ${process.version}`,
    '',
    '| backend | 200 epochs | test accuracy | per epoch |',
    '|---|---|---|---|',
    ...rows,
    ratio,
    '',
  ].join('\n'),
);
