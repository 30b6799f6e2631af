// Independent user stages run at once (issues #29 and #32): a pipeline of two command stages that
// need nothing of each other, each about 3 s of waiting (`sleep`), run with `--jobs 2` against the
// same run with `--jobs 1` (one after the other, the peer), alternating, medians and their ratio.
// The built-in stages are the engine's test stages (instant), so what is measured is the engine's
// scheduling, not a model. The goal: both finish together, well under the 6 s of one after the other.
//
//   npm run bench:stages -- --runs 3
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BASE_CONFIG, testCli } from '../test/rig/project.js';
import { machineHeading, median, timed } from './measure.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '3' } },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);

const dir = await mkdtemp(join(tmpdir(), 'parallel-stages-bench-'));
try {
  await mkdir(join(dir, 'container'), { recursive: true });
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'container', 'Dockerfile'), 'FROM scratch\n');
  await writeFile(join(dir, 'data', 'train.csv'), '1,2,0\n');
  await writeFile(
    join(dir, 'pipeline.yaml'),
    `${BASE_CONFIG}stages:
  left:
    command: sleep ${seconds}
  right:
    command: sleep ${seconds}
`,
  );
  const run = (jobs: number) => timed('node', [testCli, 'run', '--force', '--jobs', String(jobs)], dir).ms;
  run(2); // the first run makes the state and caches
  const together: number[] = [];
  const oneByOne: number[] = [];
  for (let i = 0; i < runs; i++) {
    together.push(run(2));
    oneByOne.push(run(1));
  }
  const [a, b] = [median(together), median(oneByOne)];
  process.stdout.write(`${machineHeading()}\n\n`);
  process.stdout.write('| measure | --jobs 2 | --jobs 1 (peer) | ratio |\n| --- | --- | --- | --- |\n');
  process.stdout.write(
    `| two independent ${seconds} s stages, whole \`pipeline run --force\` (median of ${runs}) | ${(a / 1000).toFixed(2)} s | ${(b / 1000).toFixed(2)} s | ${(a / b).toFixed(2)}× |\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
