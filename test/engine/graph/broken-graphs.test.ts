// Broken graphs of stages (pipeline.yaml's `stages:`): each is refused when the config loads, with
// exit 2, at the line and column of what is wrong, before anything runs or is planned.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE_CONFIG, withProject } from '../../rig/project.js';

/** BASE_CONFIG's data channel replaced, and a `stages:` section after it. */
const configWith = (stages: string, data = 'data:\n  training:\n    path: data/train.csv\n') =>
  `${BASE_CONFIG.replace('data:\n  training:\n    path: data/train.csv\n', data)}${stages}`;

interface BrokenGraph {
  name: string;
  yaml: string;
  /** `line:col` of the problem in pipeline.yaml, and a part of its message. */
  at: string;
  says: RegExp;
}

const CASES: BrokenGraph[] = [
  {
    name: 'an unknown need',
    yaml: configWith('stages:\n  prep:\n    command: echo\n    needs: [trian]\n'),
    at: '18:13',
    says: /stage prep needs "trian", which is no stage: the stages are build, upload, train, deploy, prep/,
  },
  {
    name: 'a cycle, named with its path',
    yaml: configWith(
      'stages:\n  a:\n    command: echo\n    needs: [b]\n  b:\n    command: echo\n    needs: [c]\n  c:\n    command: echo\n    needs: [a]\n',
    ),
    at: '18:12',
    says: /the stages need each other in a circle: a → b → c → a/,
  },
  {
    name: 'a cycle through a built-in stage (a channel reads an out of a stage that needs train)',
    yaml: configWith(
      'stages:\n  late:\n    command: echo\n    needs: [train]\n    outs: { made: data/made }\n',
      'data:\n  training:\n    from: late.made\n',
    ),
    at: '18:12',
    says: /circle: late → train → upload → late/,
  },
  {
    name: 'two stages writing one out',
    yaml: configWith(
      'stages:\n  a:\n    command: echo\n    outs: { x: data/out }\n  b:\n    command: echo\n    outs: { y: data/out/part }\n',
    ),
    at: '21:16',
    says: /data\/out\/part is written by two stages: a \(out x, data\/out\) and b/,
  },
  {
    name: 'an out inside its own deps',
    yaml: configWith('stages:\n  a:\n    command: echo\n    deps: [data]\n    outs: { x: data/made }\n'),
    at: '18:12',
    says: /stage a reads data, which overlaps its own out data\/made: a stage cannot read what it makes/,
  },
  {
    name: 'a reference to an out nobody makes',
    yaml: configWith(
      'stages:\n  a:\n    command: echo\n    outs: { x: data/made }\n  b:\n    command: echo\n    deps: [{ from: a.y }]\n',
    ),
    at: '21:20',
    says: /stage a makes no out "y": its outs are a\.x/,
  },
  {
    name: 'a reference to a stage that does not exist',
    yaml: configWith('stages:\n  b:\n    command: echo\n    deps: [{ from: nowhere.x }]\n'),
    at: '18:20',
    says: /nowhere\.x names no stage/,
  },
  {
    name: 'a data channel reading an out nobody makes',
    yaml: configWith(
      'stages:\n  a:\n    command: echo\n    outs: { x: data/made }\n',
      'data:\n  training:\n    from: a.z\n',
    ),
    at: '8:11',
    says: /stage a makes no out "z"/,
  },
  {
    name: "a channel reading a stage's out by its path instead of from",
    yaml: configWith(
      'stages:\n  a:\n    command: echo\n    outs: { x: data/made }\n',
      'data:\n  training:\n    path: data/made/train.csv\n',
    ),
    at: '8:11',
    says: /data\/made\/train\.csv is made by stage a \(out x\): write from: a\.x instead of path/,
  },
  {
    name: 'a stage named as a built-in one',
    yaml: configWith('stages:\n  train:\n    command: echo\n'),
    at: '16:3',
    says: /"train" is a built-in stage's name/,
  },
  {
    name: 'a stage of both kinds',
    yaml: configWith('stages:\n  a:\n    command: echo\n    processing: {}\n'),
    at: '16:3',
    says: /stage a needs exactly one of command .* or processing .*, not both/,
  },
  {
    name: 'a stage needing itself',
    yaml: configWith('stages:\n  a:\n    command: echo\n    needs: [a]\n'),
    at: '18:13',
    says: /stage a cannot need itself/,
  },
  {
    name: 'a dep that does not exist',
    yaml: configWith('stages:\n  a:\n    command: echo\n    deps: [src/missing.py]\n'),
    at: '18:12',
    says: /stage a reads "src\/missing\.py", which does not exist/,
  },
  {
    name: 'a param reading a config value that is not set',
    yaml: configWith(
      'stages:\n  a:\n    command: echo\n    params: { epochs: { config: training.hyperparameters.epoch } }\n',
    ),
    at: '18:33',
    says: /param epochs reads training\.hyperparameters\.epoch, which this config does not set/,
  },
  {
    name: 'gates without a metrics file',
    yaml: configWith('stages:\n  a:\n    command: echo\n    gates: ["lift >= 0.1"]\n'),
    at: '18:12',
    says: /stage a has gates but no metrics file/,
  },
  {
    name: 'two outs read into one variable',
    yaml: configWith(
      'stages:\n  p:\n    command: echo\n    outs: { a-b: data/x, a_b: data/y }\n  q:\n    command: echo\n    deps: [{ from: p.a-b }, { from: p.a_b }]\n',
    ),
    at: '21:37',
    says: /p\.a_b and p\.a-b would both be given to the command as PIPELINE_FROM_P_A_B/,
  },
  {
    name: 'command settings on a processing stage',
    yaml: configWith('stages:\n  a:\n    processing: {}\n    outs: { x: data/x }\n'),
    at: '18:11',
    says: /stage a is a processing job: its outs are processing\.outputs/,
  },
];

describe('broken graphs of stages', () => {
  for (const broken of CASES) {
    it(`refuses ${broken.name} at its line and column, with exit 2`, () =>
      withProject({ 'pipeline.yaml': broken.yaml }, async (project) => {
        for (const command of [['validate'], ['plan'], ['run']]) {
          const result = await project.runInProcess(command);
          assert.equal(result.exitCode, 2, `${command[0]}: ${result.stdout}${result.stderr}`);
          assert.match(result.stderr, new RegExp(`pipeline\\.yaml:${broken.at}: `), result.stderr);
          assert.match(result.stderr, broken.says, result.stderr);
        }
        assert.deepEqual(await project.executions(), [], 'nothing ran');
      }));
  }
});

describe('a user stage and the built-in stages a config turns off', () => {
  it('refuses reading an out of, or needing, a built-in stage the config turns off, saying why', () =>
    withProject(
      {
        'pipeline.yaml': `${BASE_CONFIG.replace('deploy:\n', 'deploy:\n  enabled: false\n')}stages:\n  publish:\n    command: echo\n    needs: [deploy]\n    deps: [{ from: evaluate.metrics }]\n`,
      },
      async (project) => {
        const result = await project.runInProcess(['validate'], { real: true });
        assert.equal(result.exitCode, 2, result.stdout + result.stderr);
        assert.match(
          result.stderr,
          /stage publish needs deploy, which this config turns off \(deploy\.enabled is false: no endpoint is made\)/,
        );
        assert.match(result.stderr, /evaluate\.metrics is never made: this config turns evaluate off/);
      },
    ));
});
