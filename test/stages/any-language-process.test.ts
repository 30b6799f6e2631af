// The process runtime runs a container's own `train` and `serve` executables in any language
// (here Python scripts that read OPT_ML), and says a container needs docker when this machine
// cannot run its programs, at the build stage, instead of crashing later.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destroyLocalTarget } from '../rig/local-target.js';
import { TestProject, withProject } from '../rig/project.js';
import { makeExecutable, PYTHON_CONTAINER, pythonPipelineYaml } from '../rig/python-container.js';

const CONFIG = pythonPipelineYaml('python-model');

const FILES = { 'pipeline.yaml': CONFIG, ...PYTHON_CONTAINER };

describe('the process runtime and containers in any language', () => {
  it('trains and serves Python programs that read OPT_ML', async () => {
    await withProject(FILES, async (project) => {
      await makeExecutable(project);
      const result = await project.run(['run', '--to', 'local-test'], { real: true });
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /trained on 3 rows/);
      const outputs = await project.stageOutputs('local-test');
      assert.equal(outputs.rowsChecked, 2);
      assert.equal(outputs.firstAnswer, '0');
    });
  });

  it('runs the whole pipeline to a passing evaluate, the labels in a column of a file with a header', async () => {
    const labelled = CONFIG.replace(
      'invoke:\n  data: data/eval.csv\n',
      'invoke:\n  data: data/labelled.csv\n  header: true\n',
    ).concat('evaluate:\n  labelColumn: label\n  labelFormat: index\n  gates:\n    - accuracy >= 0.99\n');
    await withProject({ ...FILES, 'pipeline.yaml': labelled }, async (project) => {
      await makeExecutable(project);
      try {
        const result = await project.run(['run'], { real: true });
        assert.equal(result.exitCode, 0, result.stdout + result.stderr);
        // Sent without the header line and without the label column: the rule saw only features.
        const invoked = await project.stageOutputs('invoke');
        assert.equal(invoked.rows, 3);
        const evaluated = await project.stageOutputs('evaluate');
        assert.equal(evaluated.metrics.accuracy, 1);
        assert.equal((await project.stageOutputs('local-test')).rowsChecked, 3);
      } finally {
        await destroyLocalTarget(project);
      }
    });
  });

  it('trains and serves from a project folder whose path holds a space', async () => {
    const project = await TestProject.create(FILES, 'my project (copy)');
    try {
      await makeExecutable(project);
      const result = await project.run(['run'], { real: true });
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /trained on 3 rows/);
      assert.equal((await project.stageOutputs('invoke')).rows, 2);
    } finally {
      await destroyLocalTarget(project);
      await project.remove();
    }
  });

  it('names the sample row the served model refuses, with its answer', async () => {
    const strict = (PYTHON_CONTAINER['container/serve'] as string).replace(
      "        body = self.rfile.read(int(self.headers['Content-Length'])).decode()\n",
      "        body = self.rfile.read(int(self.headers['Content-Length'])).decode()\n" +
        "        bad = [line for line in body.splitlines() if line and not line.split(',')[0].replace('.', '').isdigit()]\n" +
        '        if bad:\n' +
        "            self.send_response(400); self.end_headers(); self.wfile.write(f'cannot read row: {bad[0]}'.encode()); return\n",
    );
    assert.notEqual(strict, PYTHON_CONTAINER['container/serve']);
    await withProject(
      { ...FILES, 'container/serve': strict, 'data/eval.csv': '1,2\n\n3,4\noops,2\n5,6\n' },
      async (project) => {
        await makeExecutable(project);
        const result = await project.run(['run', '--to', 'local-test'], { real: true });
        assert.equal(result.exitCode, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /the served model answered 400 to 4 sample rows/);
        assert.match(
          result.stderr,
          /the row at data\/eval\.csv:4 \("oops,2"\) is refused too: it answered 400: cannot read row: oops,2/,
        );
      },
    );
  });

  it("shows the server's last lines when the served model never becomes healthy", async () => {
    const failing = `#!/usr/bin/env python3
import sys
print('loading the weights from /opt/ml/model', flush=True)
print('cannot read model.json: unexpected end of data', file=sys.stderr, flush=True)
sys.exit(3)
`;
    await withProject({ ...FILES, 'container/serve': failing }, async (project) => {
      await makeExecutable(project);
      const result = await project.run(['run', '--to', 'local-test'], { real: true });
      assert.equal(result.exitCode, 1);
      assert.match(result.stderr, /the served model never became healthy/);
      assert.match(
        result.stderr,
        /The server's last lines:[\s\S]*cannot read model\.json: unexpected end of data/,
      );
    });
  });

  it('says at the build stage that a container it cannot run needs docker', async () => {
    await withProject(
      {
        ...FILES,
        'container/train': '#!/usr/bin/env no-such-interpreter\n',
        'container/serve': '#!/usr/bin/env no-such-interpreter\n',
      },
      async (project) => {
        await makeExecutable(project);
        const result = await project.run(['run', '--to', 'local-test'], { real: true });
        assert.equal(result.exitCode, 1);
        assert.match(result.stderr, /build/);
        assert.match(result.stderr, /has no train program this machine can run .* it needs docker/);
        assert.doesNotMatch(result.stderr, /MODULE_NOT_FOUND|\n\s+at /);
      },
    );
  });
});
