// How the data path's cost grows with the number of files in a channel (issue #18): for each
// count, a channel of that many 10 KB files, generated here and removed after, against one S3
// server (the local target's), each measure beside its peer in the same run:
//  1. first upload: the upload stage's code vs `aws s3 sync`, and our peak RSS;
//  2. nothing changed: the plan's cost (the channel's snapshot entry, from the caches on disk) and
//     the upload stage again (bytes sent, time);
//  3. a training job's download into /opt/ml (the local SageMaker's code) vs `aws s3 sync` back.
// Usage: npm run bench:scale [-- --files 1000,10000,100000 --file-kb 10]
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileHasher } from '../src/engine/plan/file-hasher.js';
import { startLocalS3 } from '../src/local-sagemaker/s3/local-s3.js';
import { downloadPrefix } from '../src/local-sagemaker/s3/s3-transfer.js';
import { TEST_KEY } from '../test/rig/test-key.js';
import { machineHeading, peakRss } from './measure.js';
import { seconds, startS3Rig } from './s3-rig.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000,10000' },
    'file-kb': { type: 'string', default: '10' },
  },
});
const counts = String(values.files).split(',').map(Number);
const fileKb = Number(values['file-kb']);

async function timedAsync<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: seconds(start) };
}

const work = await mkdtemp(join(tmpdir(), 'scale-bench-'));
const rig = await startS3Rig(join(work, 'local'));
// The training job's download reads the local S3's store in the process that serves it: this
// reads the same folder as the rig's server does, as a training job in it would.
const store = await startLocalS3(join(work, 'local', 's3'), [TEST_KEY]);
const rows: string[] = [];
try {
  for (const count of counts) {
    const channel = `files-${count}`;
    const dir = join(work, 'data', channel);
    await mkdir(dir, { recursive: true });
    // Shards in folders of 1,000, as image data sets are laid out.
    for (let i = 0; i < count; i++) {
      const folder = join(dir, `shard-${String(Math.floor(i / 1000)).padStart(3, '0')}`);
      if (i % 1000 === 0) await mkdir(folder, { recursive: true });
      await writeFile(join(folder, `part-${String(i).padStart(6, '0')}.bin`), randomBytes(fileKb * 1024));
    }
    // Hashes cached on disk as the engine keeps them, so that each measure opens them as a new
    // `pipeline` process would.
    const cacheFile = join(work, `cache-${count}`, 'file-hashes.json');
    const hasher = await FileHasher.open(cacheFile);
    await hasher.snapshotTree(dir, work);
    await hasher.save();

    const awsBucket = `aws-${count}`;
    await rig.awsCli(['s3', 'mb', `s3://${awsBucket}`]);
    const theirs = await rig.awsCli([
      's3',
      'sync',
      dir,
      `s3://${awsBucket}/data/${channel}/`,
      '--only-show-errors',
    ]);
    const manifestFile = join(work, `manifest-${count}.json`);
    const upload = () =>
      rig.upload({
        bucket: `ours-${count}`,
        channel,
        path: `data/${channel}`,
        manifestFile,
        projectDir: work,
        hasher,
      });
    const first = await peakRss(upload);

    // Nothing changed: what `pipeline plan` pays for the channel (its snapshot entry, from the
    // caches a new process opens), then the stage again.
    const hashed = await timedAsync(async () => (await FileHasher.open(cacheFile)).snapshotTree(dir, work));
    const again = await peakRss(upload);

    const ourDownload = await timedAsync(() =>
      downloadPrefix(store.objects, `s3://ours-${count}/data/${channel}`, join(work, 'opt-ml', channel)),
    );
    const theirDownload = await rig.awsCli([
      's3',
      'sync',
      `s3://ours-${count}/data/${channel}`,
      join(work, 'aws-download', channel),
      '--only-show-errors',
    ]);
    if (ourDownload.result !== count) throw new Error(`downloaded ${ourDownload.result} of ${count} files`);

    rows.push(
      `| ${count.toLocaleString('en')} | ${first.result.seconds.toFixed(1)} s | ${theirs.toFixed(1)} s | ${(theirs / first.result.seconds).toFixed(2)}× | ${first.peakMiB.toFixed(0)} MiB | ${hashed.seconds.toFixed(2)} s | ${again.result.seconds.toFixed(2)} s, ${again.result.bytes} B | ${ourDownload.seconds.toFixed(1)} s | ${theirDownload.toFixed(1)} s | ${(theirDownload / ourDownload.seconds).toFixed(2)}× |`,
    );
    process.stderr.write(`${rows.at(-1)}\n`);
    await rm(join(work, 'data'), { recursive: true, force: true });
    await rm(join(work, 'opt-ml'), { recursive: true, force: true });
    await rm(join(work, 'aws-download'), { recursive: true, force: true });
  }
  process.stdout.write(
    [
      machineHeading(),
      '',
      `Files of ${fileKb} KB in shards of 1,000; one run each, against one local S3 (ours, a process of its own).`,
      '',
      '| files | first upload | `aws s3 sync` | ratio (aws / ours) | our peak RSS | unchanged: hash (plan) | unchanged: upload stage | download into /opt/ml | `aws s3 sync` down | ratio |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await store.close();
  await rig.close();
  await rm(work, { recursive: true, force: true });
}
