// The dependency rules (.dependency-cruiser.cjs) hold for the code, and are live: a module that
// breaks one (the engine importing SageMaker code, shared code importing the engine) is caught.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { repoRoot } from './rig/project.js';

const depcruise = (...targets: string[]) =>
  execa(
    join(repoRoot, 'node_modules', '.bin', 'depcruise'),
    [...targets, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
    {
      cwd: repoRoot,
      reject: false,
    },
  );

describe('the architecture', () => {
  it('has no dependency pointing the wrong way, and no cycle', async () => {
    const result = await depcruise('src', 'stages');
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  });

  for (const [rule, file, importing] of [
    ['engine-is-neutral', 'src/engine/architecture-probe.ts', '../sagemaker/aws-connection.js'],
    ['shared-is-a-leaf', 'src/shared/architecture-probe.ts', '../engine/stage.js'],
    ['runtimes-below-sagemaker', 'src/runtimes/architecture-probe.ts', '../sagemaker/drift.js'],
  ] as const) {
    it(`catches a module that breaks ${rule}`, async () => {
      const probe = join(repoRoot, file);
      await writeFile(probe, `export * from '${importing}';\n`);
      try {
        const result = await depcruise(file);
        assert.notEqual(result.exitCode, 0, 'the probe passed the check');
        assert.match(result.stdout + result.stderr, new RegExp(rule));
      } finally {
        await rm(probe, { force: true });
      }
    });
  }
});
