// Serving speed of the example model's `serve` (process runtime, the engine and backend it picks),
// driven by autocannon, against the floor: a bare node http server answering a fixed body, driven
// the same way in the same run.
//  1. 1-row CSV requests: serve's request rate vs the floor's (goal ≥ 0.5×);
//  2. 1,000-row CSV requests: rows per second (goal ≥ 100,000), p99 latency.
// Usage: npm run bench:serve [-- --seconds 10 --connections 10]
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { processRuntime } from '../src/runtimes/process-runtime.js';
import { waitForPing } from '../src/runtimes/wait-for-ping.js';
import { freePort } from '../src/shared/free-port.js';
import { machineHeading } from './measure.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const autocannon = join(repoRoot, 'node_modules', 'autocannon', 'autocannon.js');
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } },
});

interface Load {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}

function drive(url: string, bodyFile: string): Load {
  const result = spawnSync(
    process.execPath,
    [
      autocannon,
      '-c',
      String(values.connections),
      '-d',
      String(values.seconds),
      '-m',
      'POST',
      '-H',
      'Content-Type=text/csv',
      '-H',
      'Accept=text/csv',
      '-i',
      bodyFile,
      '--json',
      url,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`autocannon failed: ${result.stderr}`);
  const load = JSON.parse(result.stdout) as Load;
  if (load.errors > 0 || load.non2xx > 0)
    throw new Error(`${load.errors} errors, ${load.non2xx} non-2xx answers from ${url}`);
  return load;
}

async function answering(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never answered`);
}

const work = await mkdtemp(join(tmpdir(), 'serve-bench-'));
const stops: (() => Promise<void>)[] = [];
try {
  // A model trained for one epoch: the same network, the same size, as the 200-epoch one.
  const ml = join(work, 'opt-ml');
  await cp(join(repoRoot, 'context'), ml, { recursive: true });
  await writeFile(join(ml, 'input', 'config', 'hyperparameters.json'), JSON.stringify({ epochs: '1' }));
  await mkdir(join(ml, 'model'), { recursive: true });
  const image = {
    runtime: 'process' as const,
    image: 'bench',
    programDir: join(repoRoot, 'container'),
    contentHash: '',
  };
  const trained = await processRuntime.train({ image, mlDir: ml, log: () => undefined });
  if (trained.exitCode !== 0) throw new Error(`training exited ${trained.exitCode}`);
  let backend = '?';
  let engine = '?';
  const server = await processRuntime.serve({
    image,
    modelDir: join(ml, 'model'),
    port: await freePort(),
    log: (line) => {
      backend = line.match(/backend=(\w+)/)?.[1] ?? backend;
      engine = line.match(/engine=(\w+)/)?.[1] ?? engine;
    },
  });
  stops.push(() => server.stop(5));
  await waitForPing(server, 60);

  const floorPort = await freePort();
  const floor = spawn(process.execPath, [
    '-e',
    `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(200, {'Content-Type': 'text/csv'}); s.end('0.5,0.5\\n'); }); }).listen(${floorPort})`,
  ]);
  stops.push(async () => {
    floor.kill();
  });
  await answering(`http://127.0.0.1:${floorPort}/`);

  const rows = (
    await readFile(join(repoRoot, 'context', 'input', 'data', 'training', 'trainset.csv'), 'utf8')
  )
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(',').slice(0, 2).join(','));
  const oneRow = join(work, 'one-row.csv');
  const thousandRows = join(work, 'thousand-rows.csv');
  await writeFile(oneRow, `${rows[0]}\n`);
  await writeFile(thousandRows, `${rows.slice(0, 1000).join('\n')}\n`);

  // Alternating, each warmed up by a short first pass.
  drive(`${server.url}/invocations`, oneRow);
  const floorOne = drive(`http://127.0.0.1:${floorPort}/`, oneRow);
  const serveOne = drive(`${server.url}/invocations`, oneRow);
  const serveThousand = drive(`${server.url}/invocations`, thousandRows);

  const rate = (load: Load) => load.requests.average;
  const lines = [
    machineHeading(`engine ${engine}`, `backend ${backend}`),
    '',
    `autocannon, ${values.connections} connections, ${values.seconds} s per measure, client and server on the same 2 cores.`,
    '',
    '| measure | serve | floor (bare node http) | ratio | goal |',
    '|---|---|---|---|---|',
    `| 1-row CSV requests | ${rate(serveOne).toFixed(0)} req/s, p99 ${serveOne.latency.p99} ms | ${rate(floorOne).toFixed(0)} req/s, p99 ${floorOne.latency.p99} ms | ${(rate(serveOne) / rate(floorOne)).toFixed(2)}× | ≥ 0.5× |`,
    `| 1,000-row CSV requests | ${(rate(serveThousand) * 1000).toFixed(0)} rows/s (${rate(serveThousand).toFixed(0)} req/s), p50 ${serveThousand.latency.p50} ms, p99 ${serveThousand.latency.p99} ms | | | ≥ 100,000 rows/s |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  for (const stop of stops.reverse()) await stop();
  await rm(work, { recursive: true, force: true });
}
