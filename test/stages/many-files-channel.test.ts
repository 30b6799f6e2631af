// A data channel of 5,000 small files through the local target, on every CI run: the upload
// stage sends them all to the local S3 (which lists past 1,000 keys a page since its listing was
// patched, issue #18), and a training job downloads every one into /opt/ml and trains on all of
// them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destroyLocalTarget } from '../rig/local-target.js';
import { withProject } from '../rig/project.js';
import { makeExecutable, PYTHON_CONTAINER, pythonPipelineYaml } from '../rig/python-container.js';

const FILES = 5_000;

// local-test checks the container on a one-file mirror of /opt/ml: the channel is for the job.
const CONFIG = `${pythonPipelineYaml('many-files')}localTest:\n  context: context\n`;

describe('a channel of 5,000 files on the local target', () => {
  it('is uploaded whole, and a training job trains on every file', async () => {
    const shards: Record<string, string> = {};
    for (let index = 0; index < FILES; index++)
      shards[`data/training/shard-${String(index).padStart(5, '0')}.csv`] =
        `${index % 7},${index % 5},${index % 2}\n`;
    const { 'data/training/part-1.csv': _single, ...container } = PYTHON_CONTAINER;
    const context = {
      'context/input/config/hyperparameters.json': '{"depth": "3"}',
      'context/input/data/training/one.csv': '1,2,0\n',
    };
    await withProject({ ...container, ...shards, ...context, 'pipeline.yaml': CONFIG }, async (project) => {
      await makeExecutable(project);
      try {
        const first = await project.run(['run', '--to', 'train'], { real: true });
        assert.equal(first.exitCode, 0, first.stdout + first.stderr);
        const upload = await project.stageOutputs('upload');
        assert.equal(upload.report.filesSent, FILES, 'every file sent');
        // The upload's progress in the CI log: counts, the rate and the time left, and not a
        // line for every file (a step whose numbers change is printed at most every 10 s).
        const progress = first.stdout.split('\n').filter((line) => /upload: uploading /.test(line));
        assert.ok(
          progress.some((line) =>
            /upload: uploading 5,000 files \([\d.]+ (B|KiB) of [\d.]+ KiB, [\d,]+ of 5,000 files, [\d.]+ (B|KiB|MiB)\/s, about .+ left\)/.test(
              line,
            ),
          ),
          progress.join('\n'),
        );
        const seconds = ((await project.lastRunRecord()).stages.upload?.durationMs ?? 0) / 1000;
        assert.ok(
          progress.length <= 2 + Math.floor(seconds / 10),
          `${progress.length} lines in ${seconds} s:\n${progress.join('\n')}`,
        );
        // The job's own log, streamed by the train stage: it read every file SageMaker gave it.
        assert.match(first.stdout, /trained on 1 rows/, 'local-test on its mirror');
        assert.match(first.stdout, new RegExp(`trained on ${FILES} rows`), 'the training job on the channel');
      } finally {
        await destroyLocalTarget(project);
      }
    });
  });
});
