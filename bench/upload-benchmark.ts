// Upload speed of the upload stage's code (src/sagemaker/upload-channels.ts) against the aws CLI, both
// sending to the same local S3 in the same run:
//  1. one large file (default 1 GiB): ours (multipart, parallel parts) vs `aws s3 cp`;
//  2. many small files (default 2,000 × 50 KB): ours (16 at a time) vs `aws s3 sync`;
//  3. a re-run with nothing changed: bytes sent and time.
// Usage: npm run bench:upload [-- --size-mib 1024 --files 2000 --file-kb 50 --runs 3]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileHasher } from '../src/engine/plan/file-hasher.js';
import { machineHeading, median, peakRss, writeRandomFile } from './measure.js';
import { cpuSeconds, seconds, startS3Rig } from './s3-rig.js';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    files: { type: 'string', default: '2000' },
    'file-kb': { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
  },
});
const sizeMiB = Number(values['size-mib']);
const fileCount = Number(values.files);
const fileKb = Number(values['file-kb']);
const runs = Number(values.runs);

/** Wall time of `work`, and the CPU the client and the S3 server spent on it. */
async function measured(client: 'self' | 'children', work: () => Promise<unknown>) {
  const server = cpuSeconds(rig.pid);
  const own = cpuSeconds('self', client === 'self' ? 'itself' : 'children');
  const start = process.hrtime.bigint();
  await work();
  return {
    seconds: seconds(start),
    clientCpu: cpuSeconds('self', client === 'self' ? 'itself' : 'children') - own,
    serverCpu: cpuSeconds(rig.pid) - server,
  };
}

const work = await mkdtemp(join(tmpdir(), 'upload-bench-'));
const rig = await startS3Rig(join(work, 'local'));
const awsCli = rig.awsCli;
const ours = (bucket: string, channel: string, path: string, manifest: string) =>
  rig.upload({ bucket, channel, path, manifestFile: join(work, manifest), projectDir: work, hasher });

let hasher: FileHasher;
try {
  const data = join(work, 'data');
  await mkdir(join(data, 'small'), { recursive: true });
  await writeRandomFile(join(data, 'big.bin'), sizeMiB);
  for (let i = 0; i < fileCount; i++) {
    await writeFile(
      join(data, 'small', `part-${String(i).padStart(5, '0')}.csv`),
      randomBytes(fileKb * 1024),
    );
  }
  hasher = await FileHasher.open();
  await hasher.hashTree(data, work);
  // A bucket per tool, kind and run, so that no measure lists or replaces another's objects.
  const awsBucket = async (name: string) => {
    await awsCli(['s3', 'mb', `s3://${name}`]);
    return name;
  };
  const bigOurs: number[] = [];
  const bigPeakMiB: number[] = [];
  const bigAws: number[] = [];
  const bigCpu = {
    ours: { client: [] as number[], server: [] as number[] },
    aws: { client: [] as number[], server: [] as number[] },
  };
  const smallOurs: number[] = [];
  const smallAws: number[] = [];
  for (let run = 0; run < runs; run++) {
    const bigBucket = await awsBucket(`aws-big-${run}`);
    const theirs = await measured('children', () =>
      awsCli(['s3', 'cp', join(data, 'big.bin'), `s3://${bigBucket}/data/big/big.bin`, '--only-show-errors']),
    );
    bigAws.push(theirs.seconds);
    bigCpu.aws.client.push(theirs.clientCpu);
    bigCpu.aws.server.push(theirs.serverCpu);
    const { result: mine, peakMiB } = await peakRss(() =>
      measured('self', () => ours(`ours-big-${run}`, 'big', 'data/big.bin', `manifest-big-${run}.json`)),
    );
    bigOurs.push(mine.seconds);
    bigPeakMiB.push(peakMiB);
    bigCpu.ours.client.push(mine.clientCpu);
    bigCpu.ours.server.push(mine.serverCpu);
    const smallBucket = await awsBucket(`aws-small-${run}`);
    smallAws.push(
      await awsCli([
        's3',
        'sync',
        join(data, 'small'),
        `s3://${smallBucket}/data/small/`,
        '--only-show-errors',
      ]),
    );
    smallOurs.push(
      (await ours(`ours-small-${run}`, 'small', 'data/small', `manifest-small-${run}.json`)).seconds,
    );
  }
  // The re-runs use 1,000 of the files (bench:scale measures re-runs up to 100,000).
  const rerunFiles = Math.min(fileCount, 1000);
  await mkdir(join(data, 'rerun'), { recursive: true });
  for (let i = 0; i < rerunFiles; i++) {
    const name = `part-${String(i).padStart(5, '0')}.csv`;
    await writeFile(join(data, 'rerun', name), await readFile(join(data, 'small', name)));
  }
  await hasher.hashTree(join(data, 'rerun'), work);
  await ours('ours-rerun', 'rerun', 'data/rerun', 'manifest-rerun.json');
  const again = await ours('ours-rerun', 'rerun', 'data/rerun', 'manifest-rerun.json');
  const againBig = await ours('ours-big-0', 'big', 'data/big.bin', 'manifest-big-0.json');
  const rerunBucket = await awsBucket('aws-rerun');
  await awsCli(['s3', 'sync', join(data, 'rerun'), `s3://${rerunBucket}/data/rerun/`, '--only-show-errors']);
  const syncAgain = await awsCli([
    's3',
    'sync',
    join(data, 'rerun'),
    `s3://${rerunBucket}/data/rerun/`,
    '--only-show-errors',
  ]);

  const mibps = (bytes: number, s: number) => `${(bytes / 1024 / 1024 / s).toFixed(0)} MiB/s`;
  const smallBytes = fileCount * fileKb * 1024;
  const lines = [
    machineHeading(),
    '',
    `Medians of ${runs} alternating runs against one local S3; aws-cli ${
      String(spawnSync('aws', ['--version']).stdout)
        .trim()
        .split(' ')[0]
    }.`,
    '',
    '| measure | pipeline | aws CLI | ratio (aws time / ours) | goal |',
    '|---|---|---|---|---|',
    `| one ${sizeMiB} MiB file (\`aws s3 cp\`) | ${median(bigOurs).toFixed(1)} s (${mibps(sizeMiB * 1024 * 1024, median(bigOurs))}) | ${median(bigAws).toFixed(1)} s | ${(median(bigAws) / median(bigOurs)).toFixed(2)}× | ≥ 1.0 |`,
    `| ${fileCount} files of ${fileKb} KB (\`aws s3 sync\`) | ${median(smallOurs).toFixed(1)} s (${mibps(smallBytes, median(smallOurs))}) | ${median(smallAws).toFixed(1)} s | ${(median(smallAws) / median(smallOurs)).toFixed(2)}× | ≥ 1.0 |`,
    `| re-run, nothing changed (${rerunFiles} files) | ${again.seconds.toFixed(2)} s, ${again.bytes} bytes | ${syncAgain.toFixed(2)} s | ${(syncAgain / again.seconds).toFixed(2)}× | 0 bytes, < 1 s |`,
    `| re-run, nothing changed (${sizeMiB} MiB file) | ${againBig.seconds.toFixed(2)} s, ${againBig.bytes} bytes | | | 0 bytes, < 1 s |`,
  ];
  lines.push(
    '',
    `CPU seconds during the ${sizeMiB} MiB upload (medians): pipeline ${median(bigCpu.ours.client).toFixed(1)} s, its S3 server ${median(bigCpu.ours.server).toFixed(1)} s; aws CLI ${median(bigCpu.aws.client).toFixed(1)} s, its S3 server ${median(bigCpu.aws.server).toFixed(1)} s. The pipeline's peak RSS during it: ${median(bigPeakMiB).toFixed(0)} MiB (the measuring process, sampled every 20 ms).`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rig.close();
  await rm(work, { recursive: true, force: true });
}
