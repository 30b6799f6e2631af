// `pipeline graph`: every stage with what it needs and what a run would do, as text and as a
// Mermaid flowchart whose edges are the needs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE_CONFIG, withProject } from '../rig/project.js';

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

  it("draws the user's stages by their kind, with the edges their needs and references make", async () => {
    await withProject(
      {
        'pipeline.yaml': `${BASE_CONFIG.replace('    path: data/train.csv', '    from: prep.rows')}stages:
  prep:
    command: mkdir -p out && cp data/train.csv out/
    outs: { rows: out }
  split:
    processing:
      image: 000000000000.dkr.ecr.us-east-1.amazonaws.com/split:1
      inputs: { raw: { from: prep.rows } }
      outputs: { parts: {} }
`,
      },
      async (project) => {
        const text = await project.runInProcess(['graph']);
        assert.equal(text.exitCode, 0, text.stderr);
        assert.match(text.stdout, /● prep \(command\)\s+needs nothing\s+first run/);
        assert.match(text.stdout, /● split \(processing\)\s+needs prep\s+first run/);
        assert.match(text.stdout, /● upload\s+needs prep\s/);
        const mermaid = (await project.runInProcess(['graph', '--mermaid'])).stdout.split('\n');
        assert.ok(mermaid.includes('  s0(["prep"])'), mermaid.join('\n'));
        assert.ok(mermaid.includes('  s1[["split"]]'), mermaid.join('\n'));
        assert.ok(mermaid.includes('  s0 --> s1'), 'split reads prep.rows');
      },
    );
  });
});
