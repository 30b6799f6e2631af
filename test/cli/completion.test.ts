// Shell completion as a user's shell runs it: the script `pipeline completion SHELL` prints is
// loaded into a real bash, zsh and fish, which then complete commands, the stages after --from and
// the run ids after `show`, asking the CLI itself.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { execa } from 'execa';
import { type TestProject, testCli, withProject } from '../rig/project.js';

const STAGES = ['build', 'upload', 'train', 'deploy'];

/** A shell of the machine, or a skip where it is missing (CI installs bash, zsh and fish). */
async function shellAvailable(t: TestContext, shell: string): Promise<boolean> {
  const found = await execa(shell, ['-c', 'true'], { reject: false }).catch(() => undefined);
  if (found?.exitCode === 0) return true;
  if (process.env.CI) throw new Error(`CI=true but ${shell} is missing: .ci/run installs it`);
  t.skip(`${shell} is not installed`);
  return false;
}

/** The completion script of the test CLI (the rig's stages) for a shell, saved in the project. */
async function script(project: TestProject, shell: string): Promise<string> {
  const printed = await execa('node', [testCli, 'completion', shell], { cwd: project.dir });
  await project.write({ [`completion.${shell}`]: `${printed.stdout}\n` });
  return project.path(`completion.${shell}`);
}

describe('shell completion', () => {
  it('completes in bash: the function is registered, --from offers the stages, show the runs', async (t) => {
    if (!(await shellAvailable(t, 'bash'))) return;
    await withProject({}, async (project) => {
      await project.write({ '.pipeline/runs/20261201T000000.000Z-aaaa.json': '{}' });
      const complete = (words: string[]) =>
        `COMP_WORDS=(pipeline ${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length}; _pipeline_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = await execa(
        'bash',
        [
          '-c',
          [
            `source '${await script(project, 'bash')}'`,
            'complete -p pipeline',
            'echo ---',
            complete(['run', '--from', '']),
            'echo ---',
            complete(['sh']),
            'echo ---',
            complete(['show', '']),
          ].join('\n'),
        ],
        { cwd: project.dir },
      );
      const [registered, stages, commands, runs] = String(result.stdout).split('---\n');
      assert.match(registered ?? '', /^complete -o default -F _pipeline_complete pipeline$/m);
      assert.deepEqual(stages?.trim().split('\n'), STAGES);
      assert.deepEqual(commands?.trim().split('\n'), ['show']);
      assert.deepEqual(runs?.trim().split('\n'), ['last', 'last~1', '20261201T000000.000Z-aaaa']);
    });
  });

  it('completes in fish: --to offers the stages, a partial command its names', async (t) => {
    if (!(await shellAvailable(t, 'fish'))) return;
    await withProject({}, async (project) => {
      const result = await execa(
        'fish',
        [
          '-c',
          `source '${await script(project, 'fish')}'\ncomplete -C 'pipeline run --to '\necho ---\ncomplete -C 'pipeline dif'`,
        ],
        { cwd: project.dir },
      );
      const [stages, commands] = String(result.stdout).split('---\n');
      // fish sorts what it offers.
      assert.deepEqual(stages?.trim().split('\n'), [...STAGES].sort());
      assert.deepEqual(commands?.trim().split('\n'), ['diff']);
    });
  });

  it('registers with zsh’s completion system', async (t) => {
    if (!(await shellAvailable(t, 'zsh'))) return;
    await withProject({}, async (project) => {
      const result = await execa(
        'zsh',
        [
          '-f',
          '-c',
          `autoload -U compinit; compinit -u -D\nsource '${await script(project, 'zsh')}'\nprint -r -- $_comps[pipeline]`,
        ],
        { cwd: project.dir },
      );
      assert.equal(String(result.stdout).trim(), '_pipeline');
    });
  });

  it('refuses a shell it has no script for', async () => {
    await withProject({}, async (project) => {
      const result = await project.run(['completion', 'powershell']);
      assert.equal(result.exitCode, 2);
      assert.match(result.stderr, /the shells are bash, zsh, fish/);
    });
  });
});
