// The dependency rules (.dependency-cruiser.cjs) hold for the code, and every one is live: a module
// that breaks it (the engine importing SageMaker code, shared code importing the engine, a cycle)
// is caught by it. The probes are written into a copy of the source tree, never into src/ itself,
// where other tests (and an editor) would see them.
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { repoRoot } from './rig/project.js';

const depcruise = (cwd: string) =>
  execa(
    join(repoRoot, 'node_modules', '.bin', 'depcruise'),
    ['src', 'stages', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
    { cwd, reject: false },
  );

/** A module for each rule that breaks it: [rule, the probe, what it imports]. */
const PROBES = [
  ['engine-is-neutral', 'src/engine/architecture-probe.ts', 'src/sagemaker/aws-connection.ts'],
  ['shared-is-a-leaf', 'src/shared/architecture-probe.ts', 'src/engine/stage.ts'],
  ['runtimes-below-sagemaker', 'src/runtimes/architecture-probe.ts', 'src/sagemaker/drift.ts'],
  ['review-below-stages', 'src/review/architecture-probe.ts', 'stages/train.ts'],
  [
    'sagemaker-below-stages',
    'src/sagemaker/architecture-probe.ts',
    'src/local-sagemaker/sagemaker/hosting.ts',
  ],
  ['local-sagemaker-is-a-program', 'src/local-sagemaker/architecture-probe.ts', 'src/engine/stage.ts'],
  ['stages-below-cli', 'stages/architecture-probe.ts', 'src/cli/main.ts'],
  ['example-stands-alone', 'src/example/architecture-probe.ts', 'src/shared/errors.ts'],
  ['nothing-imports-the-example', 'src/cli/architecture-probe.ts', 'src/example/generate-example-data.ts'],
  ['no-folder-cycles', 'src/shared/cycle-probe-a.ts', 'src/shared/cycle-probe-b.ts'],
  ['no-folder-cycles', 'src/shared/cycle-probe-b.ts', 'src/shared/cycle-probe-a.ts'],
] as const;

const RULES = new Set(PROBES.map(([rule]) => rule));

describe('the architecture', () => {
  it('has no dependency pointing the wrong way, and no cycle', async () => {
    const result = await depcruise(repoRoot);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  });

  it('has a probe for every rule', async () => {
    const config = (await import(join(repoRoot, '.dependency-cruiser.cjs'))) as {
      default: { forbidden: { name: string }[] };
    };
    assert.deepEqual(config.default.forbidden.map((rule) => rule.name).sort(), [...RULES].sort());
  });

  // One check of a copy of the tree with every probe in it: each probe is caught, by its rule, and
  // nothing else is (a check of each probe alone cost a cruise of 2 s apiece).
  it(`catches a module that breaks ${[...RULES].join(', ')}`, async () => {
    const copy = await mkdtemp(join(tmpdir(), 'architecture-'));
    try {
      for (const part of ['src', 'stages', '.dependency-cruiser.cjs', 'tsconfig.json'])
        await cp(join(repoRoot, part), join(copy, part), { recursive: true });
      await symlink(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
      for (const [, file, target] of PROBES) {
        const importing = relative(dirname(file), target).replace(/\.ts$/, '.js');
        await writeFile(
          join(copy, file),
          `export * from '${importing.startsWith('.') ? importing : `./${importing}`}';\n`,
        );
      }
      const result = await depcruise(copy);
      assert.notEqual(result.exitCode, 0, 'the probes passed the check');
      const violations = (result.stdout + result.stderr)
        .split('\n')
        .filter((line) => line.trim().startsWith('error '))
        .map((line) => line.trim());
      for (const [rule, file, target] of PROBES) {
        // A cycle is named once, from whichever of its modules the cruise met first.
        const caught =
          rule === 'no-folder-cycles'
            ? violations.some((line) => line.startsWith(`error ${rule}: src/shared/cycle-probe-`))
            : violations.some((line) => line.startsWith(`error ${rule}: ${file} → ${target}`));
        assert.ok(caught, `${rule} did not catch ${file} → ${target}:\n${violations.join('\n')}`);
      }
      const probeFiles = new Set(PROBES.map(([, file]) => file));
      for (const line of violations)
        assert.ok(
          [...probeFiles].some((file) => line.includes(`: ${file} →`)),
          `a violation outside the probes: ${line}`,
        );
      assert.equal(violations.length, PROBES.length - 1, violations.join('\n'));
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
