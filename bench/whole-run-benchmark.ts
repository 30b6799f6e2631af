// The whole example pipeline on the local target with the process runtime, from a fresh clone:
//  1. the first `pipeline run` (build → evaluate), per stage (goal: under 90 s), with the
//     `train` program alone on the same data as the train stage's floor;
//  2. a no-op `pipeline run` with the real stages once a 1 GiB file sits in the training channel,
//     against `node -e 0` (goal: within 2×), alternating.
// Usage: npm run bench:run [-- --size-mib 1024 --runs 10]. Prints a Markdown section for BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineHeading, median, timed, writeRandomFile } from './measure.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: { 'size-mib': { type: 'string', default: '1024' }, runs: { type: 'string', default: '10' } },
});
const sizeMiB = Number(values['size-mib']);
const runs = Number(values.runs);

const clone = await mkdtemp(join(tmpdir(), 'pipeline-whole-run-'));
const pipeline = (args: string[]) =>
  timed('node', ['bin/pipeline.js', ...args, '--set', 'runtime=process'], clone);
try {
  // A fresh clone: no container/node_modules, no dist/, no .pipeline/. The CLI's own
  // dependencies are linked from this checkout and the CLI built, untimed, as `npm install` would.
  timed('git', ['clone', '--quiet', repoRoot, clone], tmpdir());
  await symlink(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
  timed('npm', ['run', 'build'], clone);

  const first = pipeline(['run']);
  const record = JSON.parse(timed('node', ['bin/pipeline.js', 'show', 'last', '--json'], clone).stdout) as {
    stages: Record<string, { durationMs?: number }>;
  };
  const scratch = join(clone, '.bench-train');
  await cp(join(clone, 'context'), scratch, { recursive: true });
  const trainAlone = timed('node', [join(clone, 'container', 'dist', 'train.js')], clone, {
    OPT_ML: scratch,
  });

  await writeRandomFile(join(clone, 'context', 'input', 'data', 'training', 'big.bin'), sizeMiB);
  const upToDate = pipeline(['run']);
  const noop: number[] = [];
  const noRefresh: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(timed('node', ['-e', '0'], clone).ms);
    noop.push(pipeline(['run']).ms);
    noRefresh.push(pipeline(['run', '--no-refresh']).ms);
  }

  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const stageRows = Object.entries(record.stages).map(
    ([name, stage]) => `| ${name} | ${seconds(stage.durationMs ?? 0)} |`,
  );
  const trainStage = record.stages.train?.durationMs ?? 0;
  process.stdout.write(
    [
      machineHeading(),
      '',
      '| measure | pipeline | peer | ratio | goal |',
      '|---|---|---|---|---|',
      `| first \`pipeline run\`, fresh clone | ${seconds(first.ms)} | | | < 90 s |`,
      `| train stage vs the \`train\` program alone | ${seconds(trainStage)} | ${seconds(trainAlone.ms)} | ${(trainStage / trainAlone.ms).toFixed(2)}× | |`,
      `| no-op \`pipeline run\` (${sizeMiB} MiB in the data; drift checks) vs \`node -e 0\` | ${median(noop).toFixed(0)} ms | ${median(bare).toFixed(0)} ms | ${(median(noop) / median(bare)).toFixed(2)}× | ≤ 2× |`,
      `| no-op \`pipeline run --no-refresh\` vs \`node -e 0\` | ${median(noRefresh).toFixed(0)} ms | ${median(bare).toFixed(0)} ms | ${(median(noRefresh) / median(bare)).toFixed(2)}× | ≤ 2× |`,
      '',
      `Medians of ${runs} alternating no-op runs. The run that brought the ${sizeMiB} MiB file up to date (upload, training, deploy) took ${seconds(upToDate.ms)}.`,
      '',
      'First run, per stage:',
      '',
      '| stage | time |',
      '|---|---|',
      ...stageRows,
      '',
    ].join('\n'),
  );
} finally {
  spawnSync('node', ['bin/pipeline.js', 'destroy', '--yes'], { cwd: clone, stdio: 'ignore' });
  await rm(clone, { recursive: true, force: true });
}
