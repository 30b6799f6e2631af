// The whole promise for someone else's container: the packed tool installed into a fresh
// repository that holds only examples/decision-tree (a Python model served by nginx + gunicorn on
// port 8080, written as AWS's own bring-your-own-container examples are) and its data; then
// `pipeline init`, a run with the docker runtime to a passing evaluate, a hyperparameter change
// that re-runs only what uses hyperparameters, and `pipeline destroy --yes`, after which no
// container, network or process of the project is left, not even one its local SageMaker was
// killed before it could stop.
import assert from 'node:assert/strict';
import { cp, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { readServerFacts } from '../../../src/local-sagemaker/daemon.js';
import { isProcessAlive } from '../../../src/shared/process-alive.js';
import { leftoverContainers, requireDebianImage } from '../../rig/docker.js';
import {
  emptyRepository,
  installTool,
  npxPipeline,
  type PackedTool,
  packTool,
} from '../../rig/installed-tool.js';
import { repoRoot, type TestProject } from '../../rig/project.js';

const example = join(repoRoot, 'examples', 'decision-tree');

describe('the decision-tree example (Python, nginx, gunicorn) through the installed tool', () => {
  let tool: PackedTool;
  let project: TestProject;
  const npx = (args: string[]) => npxPipeline(project.dir, args);

  before(async () => {
    tool = await packTool();
    project = await emptyRepository();
    await cp(join(example, 'container'), project.path('container'), { recursive: true });
    await cp(join(example, 'data'), project.path('data'), { recursive: true });
  });
  after(async () => {
    // Should the test fail half-way: nothing of the project may outlive it.
    await npx(['destroy', '--yes']);
    await project.remove();
    await tool.remove();
  });

  it('init, run to a passing evaluate, a hyperparameter change, destroy: nothing left', async (t) => {
    const baseImage = await requireDebianImage(t);
    if (!baseImage) return;
    await installTool(project.dir, tool.tarball);
    const init = await npx(['init', '--invoke-data', 'data/eval/eval.csv', '--label-column', '0']);
    assert.equal(init.exitCode, 0, String(init.stdout) + String(init.stderr));
    const written = await project.read('pipeline.yaml');
    assert.match(written, /^ {2}training:\n {4}path: "data\/training"/m);
    assert.match(written, /^ {2}validation:\n {4}path: "data\/validation"/m);
    assert.doesNotMatch(written, /path: "data\/eval"/, 'the evaluation rows are not a channel');
    assert.match(written, /^evaluate:\n {2}labelColumn: 0\n {2}labelFormat: index$/m);
    assert.match(written, /^ {2}# buildArgs:\n {2}# {3}BASE_IMAGE: debian:bookworm-slim$/m);

    // What a user edits next: the base image their machine has (no registry can be reached
    // here) and the host's network for apt-get, the hyperparameters, a metric and a gate.
    await project.write({
      'pipeline.yaml': written
        .replace(
          '  # buildArgs:\n  #   BASE_IMAGE: debian:bookworm-slim',
          `  buildArgs:\n    BASE_IMAGE: ${baseImage}`,
        )
        .replace('  # build:\n  #   network: host', '  build:\n    network: host')
        .replace(
          'training:\n  instanceType: ml.m5.large\n  # Written to /opt/ml/input/config/hyperparameters.json, every value as a string.\n  hyperparameters: {}\n  # metricDefinitions:\n  #   - name: accuracy',
          'training:\n  instanceType: ml.m5.large\n  hyperparameters:\n    max_depth: 5\n  metricDefinitions:\n    - name: accuracy',
        )
        .replace("  #     regex: 'accuracy=([0-9.]+)'", "      regex: 'validation:accuracy=([0-9.]+)'")
        .replace('  # gates:\n  #   - accuracy >= 0.9', '  gates:\n    - accuracy >= 0.9'),
    });
    const validated = await npx(['validate']);
    assert.equal(validated.exitCode, 0, String(validated.stdout) + String(validated.stderr));

    const first = await npx(['run']);
    assert.equal(first.exitCode, 0, String(first.stdout) + String(first.stderr));
    assert.deepEqual(await project.stagesRan(), [
      'build',
      'local-test',
      'push',
      'upload',
      'train',
      'deploy',
      'invoke',
      'evaluate',
    ]);
    assert.match(String(first.stdout), /\(docker\)/, 'the docker runtime ran the container');
    assert.match(String(first.stdout), /trained on 2000 rows: depth 5/);
    const accuracy = (await project.stageOutputs('evaluate')).metrics.accuracy;
    assert.ok(accuracy >= 0.9, `evaluate passed its gate: accuracy ${accuracy}`);
    const daemon = await readServerFacts(project.path('.pipeline', 'local'));
    assert.ok(daemon, 'the local SageMaker ran');

    const shallower = (await project.read('pipeline.yaml')).replace('max_depth: 5', 'max_depth: 2');
    await project.write({ 'pipeline.yaml': shallower });
    const second = await npx(['run']);
    assert.equal(second.exitCode, 0, String(second.stdout) + String(second.stderr));
    // local-test trains with the training hyperparameters too, so it checks the new ones first.
    assert.deepEqual(await project.stagesRan(), ['local-test', 'train', 'deploy', 'invoke', 'evaluate']);
    assert.match(String(second.stdout), /trained on 2000 rows: depth 2/);

    // The serving container says whose it is; a second one, as a local SageMaker killed while
    // stopping it would leave, is removed by destroy too.
    const owner = `sagemaker-pipeline.owner=${await realpath(project.path('.pipeline', 'local'))}`;
    const owned = await execa('docker', ['ps', '-q', '--filter', `label=${owner}`]);
    assert.equal(String(owned.stdout).split('\n').filter(Boolean).length, 1, 'one serving container');
    const image = (await project.stageOutputs('build')).imageId as string;
    await execa('docker', [
      'run',
      '-d',
      '--name',
      'pipeline-serve-orphan',
      '--label',
      'sagemaker-pipeline.managed=true',
      '--label',
      owner,
      '--entrypoint',
      'sleep',
      image,
      '600',
    ]);

    const destroyed = await npx(['destroy', '--yes']);
    assert.equal(destroyed.exitCode, 0, String(destroyed.stdout) + String(destroyed.stderr));
    assert.match(String(destroyed.stdout), /container pipeline-serve-orphan/);
    assert.deepEqual(await leftoverContainers(), []);
    assert.equal(isProcessAlive(daemon.pid), false, 'the local SageMaker stopped');
  });
});
