// Generates the example model's data with a seeded generator, the same distribution as the
// original CNTK/Keras example: label Y uniform over the classes, features X = (randn + 3) * (Y + 1),
// so class 0 sits near (3,3) with sd 1 and class 1 near (6,6) with sd 2. Rows are
// `features..., one-hot label` in %.4e, no header, as the original's files.
// Writes context/ (a faithful /opt/ml mirror) and data/eval/, and the same problem for the
// decision-tree example (examples/decision-tree/data/) as its container reads it: the class
// index first, then the features. Usage: npm run example-data
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed always gives the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by the Box-Muller transform. */
export function seededNormal(random: () => number): () => number {
  return () => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** C's %.4e: 3.6089e+00. */
export function formatScientific(value: number): string {
  const [mantissa, exponent = '0'] = value.toExponential(4).split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

export interface Sample {
  features: number[];
  label: number;
}

export function generateSamples(count: number, seed: number, features = 2, classes = 2): Sample[] {
  const random = seededRandom(seed);
  const normal = seededNormal(random);
  return Array.from({ length: count }, () => {
    const label = Math.floor(random() * classes);
    return { features: Array.from({ length: features }, () => (normal() + 3) * (label + 1)), label };
  });
}

const oneHot = (label: number, classes: number): number[] =>
  Array.from({ length: classes }, (_, i) => (i === label ? 1 : 0));
const csv = (rows: number[][]): string =>
  `${rows.map((row) => row.map(formatScientific).join(',')).join('\n')}\n`;

/** What SageMaker writes into /opt/ml/input/config for this example's training job. */
export const EXAMPLE_HYPERPARAMETERS = {
  input_dim: '2',
  num_classes: '2',
  num_hidden_layers: '2',
  hidden_layers_dim: '50',
  epochs: '200',
  minibatch_size: '25',
  init: 'normal',
  verbose: '2',
};

export async function writeExampleData(projectDir: string): Promise<string[]> {
  const classes = 2;
  const written: string[] = [];
  const put = async (path: string, content: string) => {
    const full = join(projectDir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
    written.push(path);
  };
  const labelled = (samples: Sample[]) =>
    csv(samples.map((s) => [...s.features, ...oneHot(s.label, classes)]));

  await put(
    'context/input/config/hyperparameters.json',
    `${JSON.stringify(EXAMPLE_HYPERPARAMETERS, null, 2)}\n`,
  );
  const channel = {
    ContentType: 'text/csv',
    TrainingInputMode: 'File',
    S3DistributionType: 'FullyReplicated',
    RecordWrapperType: 'None',
  };
  await put(
    'context/input/config/inputdataconfig.json',
    `${JSON.stringify({ training: channel, validation: channel }, null, 2)}\n`,
  );
  await put(
    'context/input/config/resourceconfig.json',
    `${JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: 'eth0' }, null, 2)}\n`,
  );
  await put('context/input/data/training/trainset.csv', labelled(generateSamples(20_000, 1)));
  await put('context/input/data/validation/testset.csv', labelled(generateSamples(1_024, 2)));
  await put('context/model/.gitkeep', '');
  await put('context/output/.gitkeep', '');
  const evaluation = generateSamples(15, 3);
  await put('data/eval/eval_data.csv', csv(evaluation.map((s) => s.features)));
  await put('data/eval/eval_truth.csv', csv(evaluation.map((s) => oneHot(s.label, classes))));

  const labelFirst = (samples: Sample[]) =>
    `${samples.map((s) => [String(s.label), ...s.features.map(formatScientific)].join(',')).join('\n')}\n`;
  const decisionTree = 'examples/decision-tree/data';
  await put(`${decisionTree}/training/train.csv`, labelFirst(generateSamples(2_000, 4)));
  await put(`${decisionTree}/validation/validation.csv`, labelFirst(generateSamples(500, 5)));
  await put(`${decisionTree}/eval/eval.csv`, labelFirst(generateSamples(200, 6)));
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const projectDir = resolve(process.argv[2] ?? '.');
  for (const path of await writeExampleData(projectDir)) process.stdout.write(`wrote ${path}\n`);
}
