// The everyday loop (issue #32): a hyperparameter changed, then `pipeline run` (train, deploy,
// invoke, evaluate on the local target, process runtime, the example's default gated deploy),
// against its floor: the example's `train` program alone on the same data and hyperparameters,
// plus its `serve` program started on the model until /ping answers. Alternating, medians.
// Goal: the whole run ≤ 1.1× the floor.
//
//   npm run bench:loop -- --runs 3 --epochs 100
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../src/shared/free-port.js';
import { httpRequest } from '../src/shared/http-request.js';
import { containerDir } from '../test/rig/example-model.js';
import { cleanUpExampleProject, freshExampleProject } from '../test/rig/local-target.js';
import { realCli } from '../test/rig/project.js';
import { machineHeading, median, timed } from './measure.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, epochs: { type: 'string', default: '100' } },
});
const runs = Number(values.runs);
const epochs = Number(values.epochs);

const project = await freshExampleProject('paths');
const scratch = await mkdtemp(join(tmpdir(), 'loop-bench-'));
try {
  const pipeline = (args: string[]) =>
    timed(
      'node',
      [realCli, ...args, '--set', 'runtime=process', '--set', 'localTest.hyperparameters.epochs=1'],
      project.dir,
    );
  pipeline(['run', '--set', `training.hyperparameters.epochs=${epochs}`]); // the first run, untimed

  /**
   * The floor: `train` on the very input the last training job had (its /opt-ml/input, the epochs
   * set as the run set them), then `serve` on its model until /ping answers.
   */
  const floor = async (trainEpochs: number): Promise<{ total: number; train: number }> => {
    const { jobName } = await project.stageOutputs('train');
    const ml = join(scratch, `ml-${trainEpochs}`);
    await rm(ml, { recursive: true, force: true });
    await mkdir(join(ml, 'model'), { recursive: true });
    await mkdir(join(ml, 'output'), { recursive: true });
    await cp(
      project.path('.pipeline', 'local', 'sagemaker', 'training-jobs', jobName, 'opt-ml', 'input'),
      join(ml, 'input'),
      {
        recursive: true,
      },
    );
    const config = join(ml, 'input', 'config', 'hyperparameters.json');
    const hyperparameters = JSON.parse(await readFile(config, 'utf8')) as Record<string, string>;
    await writeFile(config, JSON.stringify({ ...hyperparameters, epochs: String(trainEpochs) }));
    const start = process.hrtime.bigint();
    const train = timed('node', [join(containerDir, 'dist', 'train.js')], scratch, { OPT_ML: ml }).ms;
    const port = await freePort();
    const server = spawn('node', [join(containerDir, 'dist', 'serve.js')], {
      env: { ...process.env, OPT_ML: ml, SAGEMAKER_BIND_TO_PORT: String(port) },
      stdio: 'ignore',
    });
    try {
      for (;;) {
        const answer = await httpRequest(`http://127.0.0.1:${port}/ping`, { method: 'GET' }).catch(
          () => undefined,
        );
        if (answer?.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return { total: Number(process.hrtime.bigint() - start) / 1e6, train };
    } finally {
      server.kill();
    }
  };

  const ours: number[] = [];
  const peer: number[] = [];
  const stageTimes: Record<string, number[]> = {};
  const trainAlone: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Each run changes the epochs, so train, deploy, invoke and evaluate all run.
    const changed = epochs + 1 + (i % 2);
    ours.push(pipeline(['run', '--set', `training.hyperparameters.epochs=${changed}`]).ms);
    const record = JSON.parse(timed('node', [realCli, 'show', 'last', '--json'], project.dir).stdout) as {
      stages: Record<string, { action: string; durationMs?: number }>;
    };
    for (const [name, stage] of Object.entries(record.stages))
      if (stage.action === 'ran') stageTimes[name] = [...(stageTimes[name] ?? []), stage.durationMs ?? 0];
    const measured = await floor(changed);
    peer.push(measured.total);
    trainAlone.push(measured.train);
  }
  const [a, b] = [median(ours), median(peer)];
  process.stdout.write(`${machineHeading()}\n\n`);
  process.stdout.write(
    '| measure | pipeline | floor (peer) | ratio | goal |\n| --- | --- | --- | --- | --- |\n',
  );
  process.stdout.write(
    `| a hyperparameter changed (${epochs}± epochs): whole \`pipeline run\` against \`train\` alone + \`serve\` to /ping (median of ${runs}) | ${(a / 1000).toFixed(2)} s | ${(b / 1000).toFixed(2)} s | ${(a / b).toFixed(2)}× | ≤ 1.1× |\n`,
  );
  process.stdout.write(
    `\nThe run's stages (medians): ${Object.entries(stageTimes)
      .map(([name, times]) => `${name} ${(median(times) / 1000).toFixed(2)} s`)
      .join(
        ', ',
      )}; the \`train\` program alone ${(median(trainAlone) / 1000).toFixed(2)} s, \`serve\` to /ping ${((b - median(trainAlone)) / 1000).toFixed(2)} s.\n`,
  );
} finally {
  await rm(scratch, { recursive: true, force: true });
  await cleanUpExampleProject(project);
}
