// `pipeline graph`: every stage with what it needs and what a run would do, as text and as a
// Mermaid flowchart whose edges are the needs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withProject } from '../rig/project.js';

describe('pipeline graph', () => {
  it('shows the stages, their needs and what would run, as text and as Mermaid', async () => {
    await withProject({}, async (project) => {
      const before = await project.runInProcess(['graph']);
      assert.equal(before.exitCode, 0, before.stderr);
      assert.match(before.stdout, /● build\s+needs nothing\s+first run/);
      assert.match(before.stdout, /● train\s+needs build, upload\s+first run/);

      assert.equal((await project.runInProcess(['run'])).exitCode, 0);
      const mermaid = await project.runInProcess(['graph', '--mermaid']);
      assert.equal(mermaid.exitCode, 0, mermaid.stderr);
      const lines = mermaid.stdout.trim().split('\n');
      assert.equal(lines[0], 'flowchart LR');
      assert.ok(lines.includes('  s0["build"]'), mermaid.stdout);
      // The rig's stages: upload needs nothing, train needs build and upload, deploy needs train.
      assert.deepEqual(
        lines.filter((line) => line.includes('-->')),
        ['  s0 --> s2', '  s1 --> s2', '  s2 --> s3'],
      );
      assert.ok(lines.includes('  class s0,s1,s2,s3 skip'), 'all up to date after the run');
    });
  });
});
