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
  ['no-module-cycles', 'src/shared/cycle-probe-a.ts', 'src/shared/cycle-probe-b.ts'],
  ['no-module-cycles', 'src/shared/cycle-probe-b.ts', 'src/shared/cycle-probe-a.ts'],
  // The run's folder above the state's: a state module importing the run makes a folder cycle.
  ['no-folder-cycles', 'src/engine/state/folder-cycle-probe.ts', 'src/engine/run/plan-run.ts'],
] as const;

/** A cycle is named once from whichever of its members the cruise met first: how each one starts. */
const CYCLE_STARTS: Record<string, RegExp> = {
  'no-module-cycles': /^error no-module-cycles: src\/shared\/cycle-probe-[ab]\.ts →/,
  'no-folder-cycles': /^error no-folder-cycles: src\/engine\/(state|run) →/,
};

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

  // A check of a copy of the tree with the probes in it: each probe is caught, by its rule, and
  // nothing else is (a check of each probe alone cost a cruise of 2 s apiece). The folder-cycle
  // probe is checked alone: beside the others, which each add an edge between layers, the folders
  // would make cycles that no single probe makes; each group is checked by its own rules alone.
  it(`catches a module that breaks ${[...RULES].join(', ')}`, async () => {
    const copy = await mkdtemp(join(tmpdir(), 'architecture-'));
    try {
      for (const part of ['src', 'stages', '.dependency-cruiser.cjs', 'tsconfig.json'])
        await cp(join(repoRoot, part), join(copy, part), { recursive: true });
      await symlink(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
      const groups = [
        PROBES.filter(([rule]) => rule !== 'no-folder-cycles'),
        PROBES.filter(([rule]) => rule === 'no-folder-cycles'),
      ];
      // Each group is checked by its own rules: the repository's config, narrowed.
      await cp(join(repoRoot, '.dependency-cruiser.cjs'), join(copy, 'rules.cjs'));
      for (const probes of groups) {
        const rules = JSON.stringify([...new Set(probes.map(([rule]) => rule))]);
        await writeFile(
          join(copy, '.dependency-cruiser.cjs'),
          `const all = require('./rules.cjs');\nmodule.exports = { ...all, forbidden: all.forbidden.filter((rule) => ${rules}.includes(rule.name)) };\n`,
        );
        for (const [, file, target] of probes) {
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
        for (const [rule, file, target] of probes) {
          const cycle = CYCLE_STARTS[rule];
          const caught = cycle
            ? violations.some((line) => cycle.test(line))
            : violations.filter((line) => line.startsWith(`error ${rule}: ${file} → ${target}`)).length === 1;
          assert.ok(caught, `${rule} did not catch ${file} → ${target}:\n${violations.join('\n')}`);
        }
        for (const line of violations)
          assert.ok(
            probes.some(([rule, file]) => line.includes(`: ${file} →`) || CYCLE_STARTS[rule]?.test(line)),
            `a violation outside the probes: ${line}`,
          );
        for (const [, file] of probes) await rm(join(copy, file));
      }
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
