// The local S3 (src/local-sagemaker/s3/) against the one it replaced (s3rver 3.7.1 with its
// patch, as the CLI of an earlier commit runs it), in the same run, alternating, each a process of
// its own started by `pipeline local serve` as the local target starts it. The same clients send
// the same work to both:
//  1. the upload stage's code sending one large file (multipart, parallel parts);
//  2. `aws s3 cp --recursive` of many small files up, then a listing of them, then down again.
// Usage: PEER_CLI=/path/to/old/bin/pipeline.js npm run bench:s3 [-- --size-mib 1024 --files 2000 --file-kb 10 --runs 3]
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileHasher } from '../src/engine/plan/file-hasher.js';
import { machineHeading, median, writeRandomFile } from './measure.js';
import { cpuSeconds, type S3Rig, seconds, startS3Rig } from './s3-rig.js';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    files: { type: 'string', default: '2000' },
    'file-kb': { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
  },
});
const sizeMiB = Number(values['size-mib']);
const fileCount = Number(values.files);
const fileKb = Number(values['file-kb']);
const runs = Number(values.runs);
const peerCli = process.env.PEER_CLI;
if (!peerCli) throw new Error('PEER_CLI must name the bin/pipeline.js of a build whose local S3 is the peer');

/** Wall time of `work` and the CPU its S3 server spent on it. */
async function measured(rig: S3Rig, work: () => Promise<unknown>) {
  const server = cpuSeconds(rig.pid);
  const start = process.hrtime.bigint();
  await work();
  return { seconds: seconds(start), serverCpu: cpuSeconds(rig.pid) - server };
}

const work = await mkdtemp(join(tmpdir(), 'local-s3-bench-'));
const servers: Record<'ours' | 'peer', S3Rig> = {
  ours: await startS3Rig(join(work, 'ours')),
  peer: await startS3Rig(join(work, 'peer'), peerCli),
};
type Measure = { seconds: number; serverCpu: number };
const results: Record<string, Record<'ours' | 'peer', Measure[]>> = {};
const record = (row: string, who: 'ours' | 'peer', measure: Measure) => {
  results[row] ??= { ours: [], peer: [] };
  results[row][who].push(measure);
};

try {
  const data = join(work, 'data');
  await mkdir(join(data, 'small'), { recursive: true });
  await writeRandomFile(join(data, 'big.bin'), sizeMiB);
  for (let i = 0; i < fileCount; i++)
    await writeFile(
      join(data, 'small', `part-${String(i).padStart(5, '0')}.csv`),
      randomBytes(fileKb * 1024),
    );
  const hasher = await FileHasher.open();
  await hasher.hashTree(data, work);

  for (let run = 0; run < runs; run++) {
    for (const who of run % 2 === 0 ? (['ours', 'peer'] as const) : (['peer', 'ours'] as const)) {
      const rig = servers[who];
      const bucket = `bench-${who}-${run}`;
      record(
        `upload ${sizeMiB} MiB (our uploader)`,
        who,
        await measured(rig, () =>
          rig.upload({
            bucket,
            channel: 'big',
            path: 'data/big.bin',
            manifestFile: join(work, `manifest-${who}-${run}.json`),
            projectDir: work,
            hasher,
          }),
        ),
      );
      const prefix = `s3://${bucket}/small/`;
      record(
        `${fileCount} files up (aws s3 cp --recursive)`,
        who,
        await measured(rig, () => rig.awsCli(['s3', 'cp', join(data, 'small'), prefix, '--recursive'])),
      );
      record(
        `list ${fileCount} keys (aws s3 ls --recursive)`,
        who,
        await measured(rig, () => rig.awsCli(['s3', 'ls', prefix, '--recursive'])),
      );
      const down = join(work, `down-${who}-${run}`);
      record(
        `${fileCount} files down (aws s3 cp --recursive)`,
        who,
        await measured(rig, () => rig.awsCli(['s3', 'cp', prefix, down, '--recursive'])),
      );
      await rm(down, { recursive: true, force: true });
    }
  }

  const lines = [
    machineHeading(`the local S3 against the s3rver it replaced (${peerCli})`),
    '',
    `Medians of ${runs} alternating runs; each server a \`pipeline local serve\` of its own.`,
    '',
    '| work | ours | s3rver (patched) | ours / s3rver | server CPU, ours | server CPU, s3rver |',
    '|---|---|---|---|---|---|',
  ];
  for (const [row, { ours, peer }] of Object.entries(results)) {
    const [a, b] = [median(ours.map((m) => m.seconds)), median(peer.map((m) => m.seconds))];
    const [ca, cb] = [median(ours.map((m) => m.serverCpu)), median(peer.map((m) => m.serverCpu))];
    lines.push(
      `| ${row} | ${a.toFixed(2)} s | ${b.toFixed(2)} s | ${(a / b).toFixed(2)}× | ${ca.toFixed(1)} s | ${cb.toFixed(1)} s |`,
    );
  }
  console.log(lines.join('\n'));
} finally {
  await servers.ours.close();
  await servers.peer.close();
  await rm(work, { recursive: true, force: true });
}
