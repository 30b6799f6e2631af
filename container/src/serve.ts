// `serve`: the SageMaker hosting entry. GET /ping answers 200 once the model is loaded;
// POST /invocations takes CSV or JSON rows and answers one row of class probabilities per input
// row. Port 8080, or SAGEMAKER_BIND_TO_PORT. SIGTERM stops accepting and drains what is in flight.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { initBackend } from './backend.js';
import { mlPaths } from './ml-paths.js';
import { loadModel } from './model-files.js';
import { stopWhenParentExits } from './parent-watch.js';
import { predictorFor } from './predictor.js';
import { formatPredictions, MAX_BODY_BYTES, parseRows, RequestError } from './request-body.js';

const log = (line: string) => process.stdout.write(`${line}\n`);
const port = Number(process.env.SAGEMAKER_BIND_TO_PORT ?? 8080);

await initBackend(log);
const paths = mlPaths();
const model = await loadModel(paths.model).catch((error: Error) => {
  process.stderr.write(`cannot load the model from ${paths.model}: ${error.message}\n`);
  process.exit(1);
});
const inputDim = model.inputs[0]?.shape[1] as number;
const predictor = await predictorFor(model).catch((error: Error) => {
  process.stderr.write(`cannot serve the model from ${paths.model}: ${error.message}\n`);
  process.exit(1);
});
log(`engine=${predictor.engine}`);

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      reject(new RequestError(413, `the body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}`));
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestError(413, `the body exceeds the limit of ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

async function invocations(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const rows = parseRows(await readBody(request), request.headers['content-type'], inputDim);
  const flat = new Float32Array(rows.length * inputDim);
  rows.forEach((row, index) => {
    flat.set(row, index * inputDim);
  });
  const formatted = formatPredictions(predictor.predict(flat, rows.length), request.headers.accept);
  const attributes = request.headers['x-amzn-sagemaker-custom-attributes'];
  if (typeof attributes === 'string') response.setHeader('X-Amzn-SageMaker-Custom-Attributes', attributes);
  send(response, 200, formatted.contentType, formatted.body);
}

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/ping') return send(response, 200, 'text/plain', 'healthy\n');
  if (request.method === 'POST' && path === '/invocations') {
    invocations(request, response).catch((error: unknown) => {
      const status = error instanceof RequestError ? error.status : 500;
      if (status === 500)
        process.stderr.write(`invocation failed: ${(error as Error)?.stack ?? String(error)}\n`);
      if (!response.headersSent) send(response, status, 'text/plain', `${(error as Error).message}\n`);
    });
    return;
  }
  send(response, 404, 'text/plain', 'not found: use GET /ping or POST /invocations\n');
});

// In a container, every interface of its own network; run as a process by the pipeline's process
// runtime, loopback only (PIPELINE_BIND_HOST=127.0.0.1).
const host = process.env.PIPELINE_BIND_HOST;
server.listen(port, host, () => log(`serving the model from ${paths.model} on ${host ?? '*'}:${port}`));
process.on('SIGTERM', () => {
  log('SIGTERM received: draining requests in flight');
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
stopWhenParentExits();
