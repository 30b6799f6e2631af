// A project moved (`mv`) or copied (`cp -a`, .pipeline/ with it) keeps working, and touches
// nothing that is not its own: the moved one trains from where its programs are now (build stays
// up to date) and its destroy stops the local SageMaker started before the move; a copy's destroy
// leaves the original's model server serving; a record naming a pid that another program now has
// never gets it signalled.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { readServerFacts, stopLocalDaemon } from '../../src/local-sagemaker/daemon.js';
import { isProcessAlive } from '../../src/shared/process-alive.js';
import { TestProject, waitFor } from '../rig/project.js';
import { makeExecutable, PYTHON_CONTAINER, pythonPipelineYaml } from '../rig/python-container.js';

const FILES = { 'pipeline.yaml': pythonPipelineYaml('moved-model'), ...PYTHON_CONTAINER };
const ENDPOINT_RECORD = '.pipeline/local/sagemaker/hosting/endpoints/moved-model.json';

/** The pid of the endpoint's model server, as the local SageMaker's record names it. */
async function serverPid(project: TestProject): Promise<number> {
  const record = JSON.parse(await project.read(ENDPOINT_RECORD)) as {
    deployment: { variants: { servers: { pid: number }[] }[] };
  };
  return record.deployment.variants[0]?.servers[0]?.pid as number;
}

async function ranToInvoke(project: TestProject, args: string[] = []): Promise<void> {
  const result = await project.run(['run', ...args], { real: true });
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
}

describe('a moved or copied project', () => {
  it('trains after a move with build up to date, and its destroy stops the local SageMaker started before it', async () => {
    const original = await TestProject.create(FILES, 'before');
    await makeExecutable(original);
    let moved: TestProject | undefined;
    let destroyedAll = false;
    try {
      await ranToInvoke(original);
      const daemon = await readServerFacts(original.path('.pipeline', 'local'));
      assert.ok(daemon);
      moved = await original.moveTo('after');
      const plan = await moved.run(['plan', '--json', '--set', 'training.hyperparameters.depth=4'], {
        real: true,
      });
      const stages = JSON.parse(plan.stdout).stages as { name: string; action: string }[];
      assert.equal(stages.find((stage) => stage.name === 'build')?.action, 'skip', plan.stdout);
      await ranToInvoke(moved, ['--set', 'training.hyperparameters.depth=4']);
      assert.match(await moved.read('.pipeline/state.json'), /"programDir": "container"/);
      const destroyed = await moved.run(['destroy', '--yes'], { real: true });
      destroyedAll = destroyed.exitCode === 0;
      assert.equal(destroyed.exitCode, 0, destroyed.stderr);
      await waitFor(async () => (isProcessAlive(daemon.pid) ? undefined : true), 'the old daemon to stop');
      await assert.rejects(readFile(original.path('.pipeline', 'local', 'server.log')), { code: 'ENOENT' });
    } finally {
      // A failure before the destroy above leaves the endpoint's model server: it goes too.
      if (!destroyedAll) await (moved ?? original).run(['destroy', '--yes'], { real: true });
      await stopLocalDaemon((moved ?? original).path('.pipeline', 'local'));
      await (moved ?? original).remove();
    }
  });

  it('says how to deploy after a move, when the serving model’s programs moved with the project', async () => {
    const evaluated = `${pythonPipelineYaml('moved-gated').replace('  data: data/eval.csv\n', '  data: data/labelled.csv\n  header: true\n')}evaluate:\n  labelColumn: label\n  labelFormat: index\n`;
    const original = await TestProject.create({ ...FILES, 'pipeline.yaml': evaluated }, 'gated-before');
    await makeExecutable(original);
    let moved: TestProject | undefined;
    try {
      await ranToInvoke(original);
      moved = await original.moveTo('gated-after');
      // Gated (the default): the candidate's config would start the champion from the old folder.
      const refused = await moved.run(['run', '--set', 'training.hyperparameters.depth=4'], { real: true });
      assert.equal(refused.exitCode, 1, refused.stdout);
      assert.match(
        refused.stderr,
        /the serving model moved-gated-\S+ runs the programs in \S+gated-before\/container, which are gone \(did the project move\?\)/,
      );
      assert.match(refused.stderr, /pipeline run --set deploy\.strategy=replace/);
      await ranToInvoke(moved, [
        '--set',
        'training.hyperparameters.depth=4',
        '--set',
        'deploy.strategy=replace',
      ]);
      // Then candidates are judged beside the model the moved project serves.
      await ranToInvoke(moved, ['--set', 'training.hyperparameters.depth=5']);
      assert.equal((await moved.stageOutputs('evaluate')).verdict, 'promoted');
    } finally {
      await (moved ?? original).run(['destroy', '--yes'], { real: true });
      await stopLocalDaemon((moved ?? original).path('.pipeline', 'local'));
      await (moved ?? original).remove();
    }
  });

  it('destroys a copy without stopping the original’s model server, and never signals a reused pid', async () => {
    const original = await TestProject.create(FILES, 'original');
    await makeExecutable(original);
    const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      await ranToInvoke(original);
      const served = await serverPid(original);
      // The copy taken now holds the original's records, its model server's pid included.
      const copied = await original.copyTo('copy-after-run');
      const destroyed = await copied.run(['destroy', '--yes'], { real: true });
      assert.equal(destroyed.exitCode, 0, destroyed.stderr);
      await stopLocalDaemon(copied.path('.pipeline', 'local'));
      assert.ok(isProcessAlive(served), 'the original’s model server still serves');
      const invoked = await original.run(['run', '--only', 'invoke'], { real: true });
      assert.equal(invoked.exitCode, 0, invoked.stdout + invoked.stderr);

      // The original's record now names a pid another program has (as after a reboot).
      await stopLocalDaemon(original.path('.pipeline', 'local'));
      process.kill(served, 'SIGKILL');
      const record = await original.read(ENDPOINT_RECORD);
      await writeFile(
        original.path(ENDPOINT_RECORD),
        record.replaceAll(`"pid": ${served}`, `"pid": ${stranger.pid}`),
      );
      const again = await original.run(['destroy', '--yes'], { real: true });
      assert.equal(again.exitCode, 0, again.stderr);
      assert.ok(isProcessAlive(stranger.pid), 'the program with the reused pid was not signalled');
    } finally {
      stranger.kill('SIGKILL');
      await stopLocalDaemon(original.path('.pipeline', 'local'));
      await original.remove();
    }
  });
});
