// A small container written to SageMaker's contract in Python, knowing nothing of this tool: its
// `train` reads /opt/ml (or OPT_ML, where the process runtime puts it) and writes a model; its
// `serve` answers /ping and /invocations, one line per row. With its data and evaluation rows.
import { chmod } from 'node:fs/promises';
import type { TestProject } from './project.js';

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
        # A rule, not a model: class 1 when the first feature is 3 or more.
        answer = ''.join(f"{1 if float(line.split(',')[0]) >= 3 else 0}\\n" for line in body.splitlines() if line)
        self.send_response(200); self.send_header('Content-Type', 'text/csv'); self.end_headers()
        self.wfile.write(answer.encode())
    def log_message(self, *args): pass
HTTPServer((os.environ.get('PIPELINE_BIND_HOST', '0.0.0.0'), int(os.environ.get('SAGEMAKER_BIND_TO_PORT', '8080'))), Handler).serve_forever()
`;

/** A pipeline.yaml for this container on the local target with the process runtime. */
export const pythonPipelineYaml = (name: string): string => `name: ${name}
target: local
runtime: process
image:
  name: ${name}
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

export const PYTHON_CONTAINER: Record<string, string> = {
  'container/Dockerfile':
    'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y python3\nCOPY train serve /opt/program/\nENV PATH=/opt/program:$PATH\n',
  'container/train': TRAIN,
  'container/serve': SERVE,
  'data/training/part-1.csv': '1,2,0\n3,4,1\n5,6,0\n',
  'data/eval.csv': '1,2\n3,4\n',
  // The same rows with a header and their labels, for evaluate.labelColumn.
  'data/labelled.csv': 'a,b,label\n1,2,0\n3,4,1\n5,6,1\n',
};

/** Files keep no mode when a test writes them: the programs must be executable. */
export async function makeExecutable(project: TestProject, under = 'container'): Promise<void> {
  await chmod(project.path(under, 'train'), 0o755);
  await chmod(project.path(under, 'serve'), 0o755);
}
