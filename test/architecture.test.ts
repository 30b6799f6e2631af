// The dependency rules (.dependency-cruiser.cjs) hold for the code, and are live: a module that
// breaks one (the engine importing SageMaker code, shared code importing the engine) is caught.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
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

/** Modules that each break one rule, and the violation the check must name for each. */
const PROBES = [
  ['engine-is-neutral', 'src/engine/architecture-probe.ts', 'src/sagemaker/aws-connection.ts'],
  ['shared-is-a-leaf', 'src/shared/architecture-probe.ts', 'src/engine/stage.ts'],
  ['runtimes-below-sagemaker', 'src/runtimes/architecture-probe.ts', 'src/sagemaker/drift.ts'],
] as const;

describe('the architecture', () => {
  it('has no dependency pointing the wrong way, and no cycle', async () => {
    const result = await depcruise('src', 'stages');
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  });

  // One check of the whole tree with every probe in it: each probe is caught, by its rule, and
  // nothing else is (a check of each probe alone cost a cruise of 2 s apiece).
  it(`catches a module that breaks ${PROBES.map(([rule]) => rule).join(', ')}`, async () => {
    const probes = PROBES.map(([rule, file, target]) => ({ rule, file, target, path: join(repoRoot, file) }));
    try {
      for (const probe of probes) {
        // Each probe sits beside the folder it reaches into: the path starts with '../'.
        const importing = relative(dirname(probe.file), probe.target).replace(/\.ts$/, '.js');
        await writeFile(probe.path, `export * from '${importing}';\n`);
      }
      const result = await depcruise('src', 'stages');
      assert.notEqual(result.exitCode, 0, 'the probes passed the check');
      const violations = (result.stdout + result.stderr)
        .split('\n')
        .filter((line) => line.trim().startsWith('error '))
        .map((line) => line.trim())
        .sort();
      assert.deepEqual(
        violations,
        probes.map((probe) => `error ${probe.rule}: ${probe.file} → ${probe.target}`).sort(),
      );
    } finally {
      await Promise.all(probes.map((probe) => rm(probe.path, { force: true })));
    }
  });
});
