// The local SageMaker's tuning job runs its trials side by side (issues #31 and #32): a Random
// tuning job of 4 training jobs whose program burns a fixed amount of CPU (about `--work` seconds
// of hashing), with MaxParallelTrainingJobs 2 against the same job one at a time (the peer),
// alternating, medians, timed from CreateHyperParameterTuningJob to Completed. The goal: P trials at
// once on P free cores reach at least 0.8 × P the speed of one at a time (a speed-up ≥ 1.6 on 2).
//
//   npm run bench:tuning -- --runs 3
import '../src/shared/sdk-defaults.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
} from '@aws-sdk/client-sagemaker';
import { putObjects, ROLE, startLocalRig } from '../test/rig/local-sagemaker.js';
import { machineHeading, median } from './measure.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, work: { type: 'string', default: '2' } },
});
const runs = Number(values.runs);
const work = Number(values.work);
const parallel = Math.min(2, availableParallelism());

const TRAIN = `#!/usr/bin/env node
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const h = JSON.parse(readFileSync(process.env.OPT_ML + '/input/config/hyperparameters.json', 'utf8'));
// A fixed amount of work, whatever the machine's load: a number of hashes, not a time.
const rounds = Number(h.rounds);
let digest = Buffer.alloc(32);
for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
console.log('score=' + (1 - (Number(h.x) - 0.3) ** 2).toFixed(6) + ' ' + digest.toString('hex').slice(0, 8));
`;

const rig = await startLocalRig();
try {
  const image = rig.project.path('images', 'burn');
  await mkdir(image, { recursive: true });
  await writeFile(join(image, 'train'), TRAIN, { mode: 0o755 });
  await putObjects(rig.s3, 'bench', { 'data/rows.csv': '1\n' });
  // Calibrate: how many hashes make `work` seconds of one core here.
  const { createHash } = await import('node:crypto');
  let digest = Buffer.alloc(32);
  const started = process.hrtime.bigint();
  for (let i = 0; i < 200_000; i++) digest = createHash('sha256').update(digest).digest();
  const perSecond = 200_000 / (Number(process.hrtime.bigint() - started) / 1e9);
  const rounds = Math.round(perSecond * work);

  let sequence = 0;
  const tune = async (maxParallel: number): Promise<number> => {
    const name = `bench-${++sequence}-p${maxParallel}`;
    const start = process.hrtime.bigint();
    await rig.sagemaker.send(
      new CreateHyperParameterTuningJobCommand({
        HyperParameterTuningJobName: name,
        HyperParameterTuningJobConfig: {
          Strategy: 'Random',
          RandomSeed: 1,
          HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'score' },
          ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: maxParallel },
          ParameterRanges: { ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '1' }] },
        },
        TrainingJobDefinition: {
          StaticHyperParameters: { rounds: String(rounds) },
          AlgorithmSpecification: {
            TrainingImage: pathToFileURL(image).href,
            TrainingInputMode: 'File',
            MetricDefinitions: [{ Name: 'score', Regex: 'score=([0-9.]+)' }],
          },
          RoleArn: ROLE,
          InputDataConfig: [
            {
              ChannelName: 'training',
              DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bench/data/' } },
            },
          ],
          OutputDataConfig: { S3OutputPath: 's3://bench/output' },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
          StoppingCondition: { MaxRuntimeInSeconds: 600 },
        },
      }),
    );
    for (;;) {
      const job = await rig.sagemaker.send(
        new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }),
      );
      if (job.HyperParameterTuningJobStatus === 'Completed') break;
      if (job.HyperParameterTuningJobStatus !== 'InProgress')
        throw new Error(`${name} ${job.HyperParameterTuningJobStatus}: ${job.FailureReason}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
  };

  await tune(parallel); // the first run warms the caches
  const together: number[] = [];
  const oneByOne: number[] = [];
  for (let i = 0; i < runs; i++) {
    together.push(await tune(parallel));
    oneByOne.push(await tune(1));
  }
  const [a, b] = [median(together), median(oneByOne)];
  const speedUp = b / a;
  process.stdout.write(`${machineHeading()}\n\n`);
  process.stdout.write(
    `| measure | MaxParallel ${parallel} | one at a time (peer) | speed-up | of ${parallel} |\n| --- | --- | --- | --- | --- |\n`,
  );
  process.stdout.write(
    `| a Random tuning job of 4 trials of a fixed CPU load (${(b / 4000).toFixed(2)} s each one at a time), create → Completed (median of ${runs}) | ${(a / 1000).toFixed(2)} s | ${(b / 1000).toFixed(2)} s | ${speedUp.toFixed(2)}× | ${(speedUp / parallel).toFixed(2)} |\n`,
  );
} finally {
  await rig.close();
}
