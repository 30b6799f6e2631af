// Rows per second through an endpoint of the local SageMaker against the same model server called
// directly (issue #18): the invoke stage's own code (`invokeInBatches`: batches of `--batch` rows,
// `--concurrency` requests at once, through the SageMaker runtime client and the local
// SageMaker's InvokeEndpoint) against the same batches POSTed by fetch, as many at once, to the
// endpoint's server itself. The example model (process runtime), trained for one epoch by a
// local training job; the local SageMaker a background daemon as `pipeline` starts it.
//
//   npm run bench:invoke -- --rows 1000000 --batch 1000 --concurrency 4
//
// BENCH_CLI_SCRIPT=FILE runs the daemon as `node FILE local serve ...` instead of bin/pipeline.js:
// a wrapper that starts the inspector's profiler and imports bin/pipeline.js profiles it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { ensureLocalDaemon, stopLocalDaemon } from '../src/local-sagemaker/daemon.js';
import { batchRows, invokeInBatches } from '../src/sagemaker/invoke-batches.js';
import { containerDir, labelledCsv } from '../test/rig/example-model.js';
import {
  createModelWithConfig,
  PROCESS_IMAGE,
  putObjects,
  trainingJobRequest,
  waitForEndpoint,
  waitForJob,
} from '../test/rig/local-sagemaker.js';
import { repoRoot } from '../test/rig/project.js';
import { machineHeading } from './measure.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
  },
});
const rowCount = Number(values.rows);
const batchSize = Number(values.batch);
const concurrency = Number(values.concurrency);

/** Sends every batch, `concurrency` at a time, to the server's /invocations; rows per second. */
async function direct(url: string, rows: readonly string[]): Promise<number> {
  const batches = batchRows(rows, batchSize);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < batches.length; index = next++) {
        const [start, end] = batches[index] as [number, number];
        const response = await fetch(`${url}/invocations`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv', accept: 'text/csv' },
          body: `${rows.slice(start, end).join('\n')}\n`,
        });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`the server answered ${response.status}: ${text}`);
      }
    }),
  );
  return rows.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'invoke-bench-'));
  const dataDir = join(dir, 'local');
  const facts = await ensureLocalDaemon({
    dataDir,
    region: 'us-east-1',
    cliScript: process.env.BENCH_CLI_SCRIPT ?? join(repoRoot, 'bin', 'pipeline.js'),
    // The example's programs run as the endpoint's file:// image.
    fileImageRoots: [containerDir],
  });
  const common = { region: 'us-east-1', credentials: facts.credentials };
  const sagemaker = new SageMakerClient({ ...common, endpoint: facts.endpoint });
  const runtime = new SageMakerRuntimeClient({ ...common, endpoint: facts.endpoint });
  const s3 = new S3Client({ ...common, endpoint: facts.s3Endpoint, forcePathStyle: true });
  try {
    await putObjects(s3, 'invoke-bench', { 'train/rows.csv': labelledCsv(2000) });
    await sagemaker.send(
      new CreateTrainingJobCommand(
        trainingJobRequest({
          name: 'invoke-bench',
          data: 's3://invoke-bench/train/',
          hyperparameters: { epochs: '1' },
        }),
      ),
    );
    const job = await waitForJob(sagemaker, 'invoke-bench');
    await createModelWithConfig(
      sagemaker,
      { model: 'invoke-bench', config: 'invoke-bench' },
      PROCESS_IMAGE,
      job.ModelArtifacts?.S3ModelArtifacts,
    );
    await sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'invoke-bench', EndpointConfigName: 'invoke-bench' }),
    );
    const endpoint = await waitForEndpoint(sagemaker, 'invoke-bench');
    if (endpoint.EndpointStatus !== 'InService') throw new Error(String(endpoint.FailureReason));
    const stored = JSON.parse(
      await readFile(join(dataDir, 'sagemaker', 'hosting', 'endpoints', 'invoke-bench.json'), 'utf8'),
    ) as { deployment: { variants: { servers: { port: number }[] }[] } };
    // The endpoint's first instance: each variant keeps a server handle per instance.
    const serverUrl = `http://127.0.0.1:${stored.deployment.variants[0]?.servers[0]?.port}`;

    const rows = Array.from({ length: rowCount }, (_, index) => `${(index % 97) / 10},${(index % 89) / 10}`);
    const signal = new AbortController().signal;
    const quiet = () => undefined;
    const ours: number[] = [];
    const peer: number[] = [];
    for (let run = 0; run < 3; run++) {
      const started = process.hrtime.bigint();
      const result = await invokeInBatches({
        connection: { runtime },
        endpointName: 'invoke-bench',
        rows,
        contentType: 'text/csv',
        accept: 'text/csv',
        batchSize,
        concurrency,
        step: quiet,
        progress: quiet,
        log: quiet,
        signal,
      });
      if (result.predictions.length !== rows.length) throw new Error('a prediction per row was not returned');
      ours.push(rows.length / (Number(process.hrtime.bigint() - started) / 1e9));
      peer.push(await direct(serverUrl, rows));
    }
    const best = (xs: number[]) => Math.max(...xs);
    process.stdout.write(
      [
        machineHeading(
          `${rowCount.toLocaleString('en')} rows, batches of ${batchSize}, ${concurrency} at once, best of 3`,
        ),
        '',
        '| path | rows/s |',
        '|---|---|',
        `| the invoke stage through the local SageMaker's InvokeEndpoint | ${Math.round(best(ours)).toLocaleString('en')} |`,
        `| the same batches POSTed to the model server directly | ${Math.round(best(peer)).toLocaleString('en')} |`,
        `| ratio | **${(best(ours) / best(peer)).toFixed(2)}×** |`,
        '',
      ].join('\n'),
    );
  } finally {
    // An endpoint outlives its daemon (a restarted one adopts it): deleted first, even after a
    // failure, or its model server would run on with its folder gone.
    await sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'invoke-bench' })).catch(() => undefined);
    for (const client of [sagemaker, runtime, s3]) client.destroy();
    await stopLocalDaemon(dataDir);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
