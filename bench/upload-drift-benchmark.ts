// What the upload stage's drift check costs before it skips an unchanged channel: one listing of
// the channel's prefix (in ranges between every 1,000th key the receipt kept, 8 at once) and a
// digest of it, compared with the last upload's receipt. Against the local S3 as the local target
// runs it (`pipeline local serve`, a process of its own), through the looks a no-op run on target
// local uses (plain signed HTTP, no SDK), beside the same ranges listed through the SDK.
// Usage: npm run bench:drift [-- --objects 10000,100000 --runs 3]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { remoteDigestOf } from '../src/sagemaker/channel-receipts.js';
import { channelDrift, localLooks } from '../src/sagemaker/drift.js';
import { listObjects, rangeBounds } from '../src/sagemaker/remote-listing.js';
import { inParallel } from '../src/shared/in-parallel.js';
import { TEST_KEY } from '../test/rig/test-key.js';
import { machineHeading, median } from './measure.js';
import { seconds, startS3Rig } from './s3-rig.js';

const { values } = parseArgs({
  options: { objects: { type: 'string', default: '10000,100000' }, runs: { type: 'string', default: '3' } },
});
const counts = String(values.objects).split(',').map(Number);
const runs = Number(values.runs);

const work = await mkdtemp(join(tmpdir(), 'drift-bench-'));
const rig = await startS3Rig(join(work, 'local'));
const looks = localLooks({
  endpoint: rig.endpoint,
  s3Endpoint: rig.endpoint,
  region: 'us-east-1',
  registry: null,
  credentials: TEST_KEY,
  shared: false,
});
const rows: string[] = [];
try {
  await rig.awsCli(['s3', 'mb', 's3://drift-bench']);
  let written = 0;
  for (const count of counts) {
    const keys = Array.from(
      { length: count - written },
      (_, index) => `data/part-${String(written + index).padStart(7, '0')}.csv`,
    );
    await inParallel(keys, 32, async (Key) => {
      await rig.s3.send(new PutObjectCommand({ Bucket: 'drift-bench', Key, Body: 'x' }));
    });
    written = count;
    const listed = await listObjects({ s3: rig.s3, bucket: 'drift-bench', prefix: 'data/' });
    // As the upload's receipt keeps it: the digest, and every 1,000th key for the ranges.
    const receipt = {
      remoteDigest: remoteDigestOf(listed),
      rangeBounds: rangeBounds(listed.map((o) => o.key)),
    };
    const check: number[] = [];
    const sdk: number[] = [];
    for (let run = 0; run < runs; run++) {
      let start = process.hrtime.bigint();
      const drift = await channelDrift(looks, 's3://drift-bench/data/', receipt);
      check.push(seconds(start));
      if (drift) throw new Error(`an unchanged prefix was reported: ${drift}`);
      start = process.hrtime.bigint();
      await listObjects({ s3: rig.s3, bucket: 'drift-bench', prefix: 'data/', bounds: receipt.rangeBounds });
      sdk.push(seconds(start));
    }
    rows.push(
      `| ${count.toLocaleString('en')} | ${median(check).toFixed(2)} s | ${median(sdk).toFixed(2)} s |`,
    );
  }
  console.log(
    [
      machineHeading('the upload stage’s drift check'),
      '',
      `Medians of ${runs} runs; the prefix holds only the channel's objects.`,
      '',
      '| objects | drift check (no SDK, as on target local) | the same ranges listed through the SDK |',
      '|---|---|---|',
      ...rows,
    ].join('\n'),
  );
} finally {
  await rig.close();
  await rm(work, { recursive: true, force: true });
}
