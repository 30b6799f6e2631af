import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { loadConfig } from './dist/src/engine/config/load-config.js';
import { ensureLocalDaemon, stopLocalDaemon } from './dist/src/local-sagemaker/daemon.js';
import { connect } from './dist/src/sagemaker/aws-connection.js';
import { runTrainingJob } from './dist/src/sagemaker/training-job.js';
import { pipelinePaths } from './dist/src/shared/pipeline-paths.js';
import { labelledCsv } from './dist/test/rig/example-model.js';

const dir = await mkdtemp(join(tmpdir(), 'probe-start-'));
const stateDir = join(dir, '.pipeline');
await writeFile(
  join(dir, 'pipeline.yaml'),
  `name: startup-bench\ntarget: local\nruntime: docker\naws:\n  bucket: startup-bench\nimage:\n  name: startup-bench\n  context: container\ndata:\n  training:\n    path: data\ntraining:\n  hyperparameters:\n    epochs: 1\n    verbose: 2\n`,
);
await mkdir(join(dir, 'data'));
await mkdir(join(dir, 'container'));
await writeFile(join(dir, 'container', 'Dockerfile'), 'FROM scratch\n');
const loaded = await loadConfig({ file: join(dir, 'pipeline.yaml'), cwd: dir });
const config = loaded.value.config;
await ensureLocalDaemon({
  dataDir: pipelinePaths.localSageMaker(stateDir),
  region: 'us-east-1',
  cliScript: join(process.cwd(), 'bin', 'pipeline.js'),
});
const connection = await connect(config, stateDir);
await connection.s3.send(new CreateBucketCommand({ Bucket: 'startup-bench' })).catch(() => undefined);
await connection.s3.send(
  new PutObjectCommand({ Bucket: 'startup-bench', Key: 'data/training/train.csv', Body: labelledCsv(2000) }),
);
const quiet = () => undefined;
for (let run = 0; run < 4; run++) {
  const t0 = Date.now();
  const r = await runTrainingJob({
    connection,
    config,
    imageUri: 'pipeline-bench/keras-example:startup',
    channelUris: { training: 's3://startup-bench/data/training/' },
    bucket: 'startup-bench',
    saveJobName: async () => undefined,
    logFile: join(dir, 'train.log'),
    step: quiet,
    progress: quiet,
    log: quiet,
    signal: new AbortController().signal,
  });
  const t1 = Date.now();
  const job = await connection.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: r.jobName }));
  const rel = (d) => (d ? d.getTime() - t0 : NaN);
  console.log(
    `total ${t1 - t0}: created ${rel(job.CreationTime)} ` +
      job.SecondaryStatusTransitions.map((t) => `${t.Status}@${rel(t.StartTime)}`).join(' ') +
      ` end ${rel(job.TrainingEndTime)}`,
  );
}
await stopLocalDaemon?.({ dataDir: pipelinePaths.localSageMaker(stateDir) }).catch?.(() => undefined);
