// Benchmarks of the engine's fixed costs, each against a peer timed in the same run:
//  1. a no-op `pipeline run` over a 1 GiB data set vs bare node start-up (`node -e 0`);
//  2. the first fingerprint of that 1 GiB file vs `sha256sum`.
// Usage: npm run bench [-- --size-mib 1024 --runs 20]. Prints a Markdown section for BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FileHasher } from '../src/engine/plan/file-hasher.js';
import { machineHeading, median, timed, writeRandomFile } from './measure.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const engineCli = join(repoRoot, 'dist', 'pipeline-test-stages.mjs');

const { values } = parseArgs({
  options: { 'size-mib': { type: 'string', default: '1024' }, runs: { type: 'string', default: '20' } },
});
const sizeMiB = Number(values['size-mib']);
const runs = Number(values.runs);

const project = await mkdtemp(join(tmpdir(), 'pipeline-bench-'));
try {
  await mkdir(join(project, 'container'), { recursive: true });
  await mkdir(join(project, 'data'), { recursive: true });
  await writeFile(join(project, 'container', 'Dockerfile'), 'FROM scratch\n');
  await mkdir(join(project, 'context', 'input', 'config'), { recursive: true });
  await writeFile(join(project, 'context', 'input', 'config', 'hyperparameters.json'), '{}\n');
  await writeFile(
    join(project, 'pipeline.yaml'),
    'name: bench\nimage:\n  name: bench-image\ndata:\n  training:\n    path: data/big.bin\ntraining:\n  hyperparameters:\n    epochs: 1\n',
  );
  const big = join(project, 'data', 'big.bin');
  await writeRandomFile(big, sizeMiB);

  // 2. First fingerprint vs sha256sum, alternating, page cache warm for both after the first read.
  execFileSync('sha256sum', [big], { stdio: 'ignore' });
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const hasher = await FileHasher.open();
    const start = process.hrtime.bigint();
    await hasher.hashFile(big);
    ours.push(Number(process.hrtime.bigint() - start) / 1e6);
    theirs.push(timed('sha256sum', [big], project).ms);
  }
  const mibPerSecond = (ms: number) => sizeMiB / (ms / 1000);

  // 1. A no-op run: the first run fingerprints and records everything; later ones only stat.
  const first = timed('node', [engineCli, 'run'], project).ms;
  const noop: number[] = [];
  const plan: number[] = [];
  const status: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(timed('node', ['-e', '0'], project).ms);
    noop.push(timed('node', [engineCli, 'run'], project).ms);
    plan.push(timed('node', [engineCli, 'plan'], project).ms);
    status.push(timed('node', [engineCli, 'status'], project).ms);
  }
  const against = (times: number[]) =>
    `${median(times).toFixed(0)} ms | ${median(bare).toFixed(0)} ms | ${(median(times) / median(bare)).toFixed(2)}× | ≤ 1.6× (issue #32)`;

  const lines = [
    machineHeading(),
    '',
    `Data set: one ${sizeMiB} MiB file. Medians of ${runs} alternating runs (no-op) and 3 (hashing).`,
    '',
    '| measure | pipeline | peer | ratio | goal |',
    '|---|---|---|---|---|',
    `| no-op \`pipeline run\` vs \`node -e 0\` | ${against(noop)} |`,
    `| \`pipeline plan\` (nothing to do) vs \`node -e 0\` | ${against(plan)} |`,
    `| \`pipeline status\` vs \`node -e 0\` | ${against(status)} |`,
    `| first fingerprint vs \`sha256sum\` | ${mibPerSecond(median(ours)).toFixed(0)} MiB/s | ${mibPerSecond(median(theirs)).toFixed(0)} MiB/s | ${(median(theirs) / median(ours)).toFixed(2)}× throughput | ≥ 0.8× |`,
    '',
    `The first \`pipeline run\` (which hashes the file and runs the stages) took ${first.toFixed(0)} ms.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(project, { recursive: true, force: true });
}
