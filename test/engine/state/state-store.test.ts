// The state file: atomic under concurrent readers, backed up, and a clear error when damaged.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { emptyState } from '../../../src/engine/state/pipeline-state.js';
import { readState, writeState } from '../../../src/engine/state/state-store.js';
import { repoRoot, waitFor, withProject } from '../../rig/project.js';

describe('state store', () => {
  it('never shows a reader a torn state while another process writes it', async () => {
    await withProject({}, async (project) => {
      const stateDir = project.path('.pipeline');
      await writeState(stateDir, emptyState('rig'));
      const store = pathToFileURL(join(repoRoot, 'dist/src/engine/state/state-store.js')).href;
      // The writer makes each state big enough that a non-atomic write would be seen half done.
      const writer = execa(
        'node',
        [
          '--input-type=module',
          '-e',
          `const { writeState } = await import(${JSON.stringify(store)});
         for (let i = 0; i < 150; i++) {
           const stages = {};
           for (let s = 0; s < 50; s++) stages['s' + s] = { lastAttempt: { runId: String(i), status: 'succeeded', startedAt: 'x'.repeat(2000) } };
           await writeState(process.argv[1], { version: 1, pipeline: 'rig', updatedAt: '', stages });
         }`,
          stateDir,
        ],
        { reject: true },
      );
      let reads = 0;
      let finished = false;
      writer.finally(() => {
        finished = true;
      });
      while (!finished) {
        const result = await readState(stateDir, 'rig');
        assert.ok(result.ok, result.ok ? '' : result.error.detail);
        reads++;
      }
      await writer;
      assert.ok(reads > 10, `only ${reads} reads overlapped the writes`);
      const leftovers = (await readdir(stateDir)).filter((name) => name.includes('.tmp'));
      assert.deepEqual(leftovers, [], 'no temp files left behind');
      const backup = JSON.parse(await readFile(join(stateDir, 'state.json.bak'), 'utf8'));
      assert.equal(
        backup.stages.s0.lastAttempt.runId,
        '148',
        'the backup is the state before the last write',
      );
    });
  });

  it('refuses a damaged state file, naming the backup, with exit code 3', async () => {
    await withProject({}, async (project) => {
      assert.equal((await project.run(['run'])).exitCode, 0);
      await writeFile(project.path('.pipeline/state.json'), '{"version": 1, "stages": {');
      const result = await project.run(['run']);
      assert.equal(result.exitCode, 3);
      assert.match(
        result.stderr,
        /\.pipeline\/state\.json cannot be used \(.*JSON.*\)\. The previous state is in .*\.pipeline\/state\.json\.bak/,
      );
      const status = await project.run(['status']);
      assert.equal(status.exitCode, 3);
    });
  });
});

describe('run lock', () => {
  it('lets one run at a time hold the pipeline, naming the holder to the other', async () => {
    await withProject({}, async (project) => {
      const first = project.spawn(['run'], { env: { TEST_HANG_STAGE: 'train' } });
      await waitFor(() => project.savedHandle('train'), 'the first run to reach train');
      const second = await project.run(['run']);
      assert.equal(second.exitCode, 3);
      assert.match(
        second.stderr,
        new RegExp(
          `another pipeline run holds the lock \\S+\\.pipeline/lock: \\S+@\\S+, pid ${first.pid}, since .* \\(pipeline run\\)\\..*\`pipeline unlock [0-9a-f-]{36}\` removes the lock`,
        ),
      );
      first.kill('SIGINT');
      assert.equal((await first).exitCode, 130);
      const third = await project.run(['run']);
      assert.equal(third.exitCode, 0, third.stderr);
    });
  });

  it('takes over a lock whose holder has died', async () => {
    await withProject({}, async (project) => {
      const dead = await execa('node', ['-e', 'process.stdout.write(String(process.pid))']);
      const { hostname } = await import('node:os');
      const holder = {
        pid: Number(dead.stdout),
        host: hostname(),
        startedAt: '2026-01-01T00:00:00Z',
        command: 'pipeline run',
      };
      await project.write({ '.pipeline/lock': JSON.stringify(holder) });
      const result = await project.run(['run']);
      assert.equal(result.exitCode, 0, result.stderr);
      await assert.rejects(
        readFile(project.path('.pipeline/lock')),
        /ENOENT/,
        'the lock is released after the run',
      );
    });
  });
});
