// The process runtime runs a container's own `train` and `serve` executables in any language
// (here Python scripts that read OPT_ML), and says a container needs docker when this machine
// cannot run its programs, at the build stage, instead of crashing later.
import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { withProject } from '../rig/project.js';

const TRAIN = `#!/usr/bin/env python3
import json, os, pathlib
ml = pathlib.Path(os.environ.get('OPT_ML', '/opt/ml'))
rows = [line for f in (ml / 'input/data/training').iterdir() for line in f.read_text().splitlines() if line]
params = json.loads((ml / 'input/config/hyperparameters.json').read_text())
(ml / 'model/model.json').write_text(json.dumps({'rows': len(rows), 'params': params}))
print(f"trained on {len(rows)} rows")
`;

const SERVE = `#!/usr/bin/env python3
import json, os, pathlib
from http.server import BaseHTTPRequestHandler, HTTPServer
ml = pathlib.Path(os.environ.get('OPT_ML', '/opt/ml'))
model = json.loads((ml / 'model/model.json').read_text())
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == '/ping' else 404); self.end_headers()
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length'])).decode()
        answer = ''.join(f"{model['rows']}\\n" for line in body.splitlines() if line)
        self.send_response(200); self.send_header('Content-Type', 'text/csv'); self.end_headers()
        self.wfile.write(answer.encode())
    def log_message(self, *args): pass
HTTPServer((os.environ.get('PIPELINE_BIND_HOST', '0.0.0.0'), int(os.environ.get('SAGEMAKER_BIND_TO_PORT', '8080'))), Handler).serve_forever()
`;

const CONFIG = `name: python-model
target: local
runtime: process
image:
  name: python-model
  context: container
  dockerfile: container/Dockerfile
data:
  training:
    path: data/training
    contentType: text/csv
invoke:
  data: data/eval.csv
  contentType: text/csv
  accept: text/csv
training:
  hyperparameters:
    depth: 3
`;

const FILES = {
  'pipeline.yaml': CONFIG,
  'container/Dockerfile': 'FROM debian:bookworm-slim\nCOPY train serve /opt/program/\n',
  'container/train': TRAIN,
  'container/serve': SERVE,
  'data/training/part-1.csv': '1,2,0\n3,4,1\n5,6,0\n',
  'data/eval.csv': '1,2\n3,4\n',
};

describe('the process runtime and containers in any language', () => {
  it('trains and serves Python programs that read OPT_ML', async () => {
    await withProject(FILES, async (project) => {
      await chmod(project.path('container/train'), 0o755);
      await chmod(project.path('container/serve'), 0o755);
      const result = await project.run(['run', '--to', 'local-test'], { real: true });
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /trained on 3 rows/);
      const outputs = await project.stageOutputs('local-test');
      assert.equal(outputs.rowsChecked, 2);
      assert.equal(outputs.firstAnswer, '3');
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
        await chmod(project.path('container/train'), 0o755);
        await chmod(project.path('container/serve'), 0o755);
        const result = await project.run(['run', '--to', 'local-test'], { real: true });
        assert.equal(result.exitCode, 1);
        assert.match(result.stderr, /build/);
        assert.match(result.stderr, /has no train program this machine can run .* it needs docker/);
        assert.doesNotMatch(result.stderr, /MODULE_NOT_FOUND|\n\s+at /);
      },
    );
  });
});
