// The time the tool adds around a remote job on the local target with the docker runtime (issue
// #18): a training job from CreateTrainingJob to Completed, and an endpoint from CreateModel to
// InService, each as the train and deploy stages see it (their own code, polling as they poll,
// against the local SageMaker as a background daemon), against the same container run by hand:
// `docker run IMAGE train` on the same /opt/ml, and `docker run IMAGE serve` until /ping
// answers (polled every 10 ms) on a network of its own. Each is repeated, alternating with its peer; medians and ratios.
//
//   npm run bench:startup -- --runs 5
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { extract } from 'tar';
import { loadConfig } from '../src/engine/config/load-config.js';
import { ensureLocalDaemon, stopLocalDaemon } from '../src/local-sagemaker/daemon.js';
import { parseS3Uri } from '../src/local-sagemaker/s3/s3-transfer.js';
import { connect } from '../src/sagemaker/aws-connection.js';
import { deleteDeployment, deleteEndpoint, deployEndpoint } from '../src/sagemaker/deploy-endpoint.js';
import { runTrainingJob } from '../src/sagemaker/training-job.js';
import { freePort } from '../src/shared/free-port.js';
import { pipelinePaths } from '../src/shared/pipeline-paths.js';
import { buildExampleImage } from '../test/rig/docker.js';
import { labelledCsv, writeJobFolder } from '../test/rig/example-model.js';
import { repoRoot } from '../test/rig/project.js';
import { machineHeading, median } from './measure.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const IMAGE = 'pipeline-bench/keras-example:startup';
const HYPERPARAMETERS = { epochs: '1', verbose: '2' };

const CONFIG = `name: startup-bench
target: local
runtime: docker
aws:
  bucket: startup-bench
image:
  name: startup-bench
  context: container
data:
  training:
    path: data
training:
  hyperparameters:
    epochs: 1
    verbose: 2
`;

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

async function timeIt(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'startup-bench-'));
  const stateDir = join(dir, '.pipeline');
  await writeFile(join(dir, 'pipeline.yaml'), CONFIG);
  await mkdir(join(dir, 'data'));
  // The config names a build context the stages here never build: the image is built below.
  await mkdir(join(dir, 'container'));
  await writeFile(join(dir, 'container', 'Dockerfile'), 'FROM scratch\n');
  const loaded = await loadConfig({ file: join(dir, 'pipeline.yaml'), cwd: dir });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const config = loaded.value.config;
  const rows = labelledCsv(2000);

  const imageId = await buildExampleImage(IMAGE);

  // The daemon as `pipeline` starts it (this script is not the CLI it would re-run); connect adopts it.
  await ensureLocalDaemon({
    dataDir: pipelinePaths.localSageMaker(stateDir),
    region: 'us-east-1',
    cliScript: join(repoRoot, 'bin', 'pipeline.js'),
  });
  const connection = await connect(config, stateDir);
  await connection.s3.send(new CreateBucketCommand({ Bucket: 'startup-bench' })).catch(() => undefined);
  await connection.s3.send(
    new PutObjectCommand({ Bucket: 'startup-bench', Key: 'data/training/train.csv', Body: rows }),
  );
  const signal = new AbortController().signal;
  const quiet = () => undefined;

  const tool = { train: [] as number[], deploy: [] as number[] };
  const peer = { train: [] as number[], deploy: [] as number[] };
  let artifact = '';
  try {
    for (let run = 0; run < runs; run++) {
      // Training: the stage's job against `docker run IMAGE train` on the same /opt/ml.
      tool.train.push(
        await timeIt(async () => {
          const result = await runTrainingJob({
            connection,
            config,
            imageUri: imageId,
            channelUris: { training: 's3://startup-bench/data/training/' },
            bucket: 'startup-bench',
            saveJobName: async () => undefined,
            logFile: join(dir, 'train.log'),
            step: quiet,
            progress: quiet,
            log: quiet,
            signal,
          });
          artifact = result.modelArtifact;
        }),
      );
      const mlDir = join(dir, `opt-ml-${run}`);
      await writeJobFolder(mlDir, {
        hyperparameters: HYPERPARAMETERS,
        channels: { training: { 'train.csv': rows } },
      });
      peer.train.push(
        await timeIt(() =>
          execa('docker', ['run', '--rm', '--network', 'none', '-v', `${mlDir}:/opt/ml`, imageId, 'train']),
        ),
      );

      // Hosting: the stage's deployment to InService against `docker run IMAGE serve` to /ping.
      let deployed = '';
      tool.deploy.push(
        await timeIt(async () => {
          const deployment = await deployEndpoint({
            connection,
            config,
            imageUri: imageId,
            modelArtifact: artifact,
            ledgerFile: join(stateDir, 'deployments.json'),
            saveDeployment: async () => undefined,
            step: quiet,
            log: quiet,
            signal,
          });
          deployed = deployment.deploymentName;
        }),
      );
      await deleteEndpoint(connection, config.name, signal);
      await deleteDeployment(connection, deployed, quiet);

      const modelDir = join(dir, `model-${run}`);
      await mkdir(modelDir);
      const { bucket, key } = parseS3Uri(artifact);
      const object = await connection.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await writeFile(
        join(dir, 'model.tar.gz'),
        await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      await extract({ file: join(dir, 'model.tar.gz'), cwd: modelDir });
      const port = await freePort();
      const name = `startup-bench-serve-${run}`;
      peer.deploy.push(
        await timeIt(async () => {
          // A network of its own, as on this machine a published port needs one (no default bridge).
          await execa('docker', ['network', 'create', name]);
          await execa('docker', [
            'run',
            '-d',
            '--name',
            name,
            '--network',
            name,
            '-p',
            `127.0.0.1:${port}:8080`,
            '-v',
            `${modelDir}:/opt/ml/model:ro`,
            imageId,
            'serve',
          ]);
          const deadline = Date.now() + 120_000;
          // undici's timeout timers are unref'd: a hung request alone would let node exit (code 13).
          const keepAlive = setInterval(() => undefined, 1000);
          for (;;) {
            if (Date.now() > deadline) throw new Error('the container did not answer /ping within 120 s');
            // A connection docker's port proxy accepts before the server listens can hang: time out.
            const answered = await fetch(`http://127.0.0.1:${port}/ping`, {
              signal: AbortSignal.timeout(1000),
            }).then(
              async (response) => {
                await response.arrayBuffer();
                return response.status === 200;
              },
              () => false,
            );
            if (answered) break;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          clearInterval(keepAlive);
        }),
      );
      await execa('docker', ['rm', '-f', name]);
      await execa('docker', ['network', 'rm', name]);
    }
  } finally {
    // An endpoint outlives its daemon (a restarted one adopts it): deleted even after a failure,
    // or its container would run on with its folder gone.
    await deleteEndpoint(connection, config.name, signal).catch(() => undefined);
    await stopLocalDaemon(pipelinePaths.localSageMaker(stateDir));
    await rm(dir, { recursive: true, force: true });
  }

  const row = (what: string, ours: number[], theirs: number[], peerName: string) =>
    `| ${what} | ${seconds(median(ours))} s | ${peerName} ${seconds(median(theirs))} s | ${(median(ours) / median(theirs)).toFixed(2)}× |`;
  const storage = (await execa('docker', ['info', '--format', '{{.Driver}}'])).stdout.trim();
  process.stdout.write(
    [
      machineHeading(`docker ${storage}`, `${runs} runs each, medians`),
      '',
      '| measure | the tool | peer | ratio |',
      '|---|---|---|---|',
      row(
        'training job create → Completed (1 epoch, 2,000 rows)',
        tool.train,
        peer.train,
        '`docker run IMAGE train`',
      ),
      row('endpoint create → InService', tool.deploy, peer.deploy, '`docker run IMAGE serve` to /ping'),
      '',
    ].join('\n'),
  );
}

await main();
