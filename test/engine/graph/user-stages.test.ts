// User stages of kind command (pipeline.yaml's `stages:`) with the engine's test stages around
// them: what re-runs when a dep, a param or an out changes, and why the plan says so; stages that
// run at once; a failure while another runs; metrics that join the run's.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { BASE_CONFIG, withProject } from '../../rig/project.js';

const PREP = `set -e
mkdir -p data/prepared
node -e 'const p = JSON.parse(process.env.PIPELINE_PARAMS); console.log("fraction " + p.fraction + " epochs " + p.epochs)'
cp data/raw.csv data/prepared/train.csv
`;

const CHAIN = `${BASE_CONFIG.replace('data:\n  training:\n    path: data/train.csv\n', 'data:\n  training:\n    from: prepare.train\n')}stages:
  prepare:
    description: split the raw data
    command: sh src/prep.sh
    deps: [src/prep.sh, data/raw.csv]
    params:
      fraction: 0.2
      epochs: { config: training.hyperparameters.epochs }
    outs: { train: data/prepared }
  business:
    command: ["sh", "-c", "wc -l < $PIPELINE_FROM_PREPARE_TRAIN/train.csv; echo '{\\"lift\\": {\\"revenue\\": 0.25}}' > lift.json"]
    needs: [deploy]
    deps: [{ from: prepare.train }]
    metrics: lift.json
    gates: ["lift.revenue >= 0.1"]
`;

const FILES = { 'pipeline.yaml': CHAIN, 'src/prep.sh': PREP, 'data/raw.csv': '1,2,0\n3,4,1\n' };

describe('user stages of kind command', () => {
  it('re-run when a dep, a param or an out changes, with what follows, and the plan says why', () =>
    withProject(FILES, async (project) => {
      const first = await project.run(['run']);
      assert.equal(first.exitCode, 0, first.stdout + first.stderr);
      assert.deepEqual(await project.stagesRan(), [
        'prepare',
        'build',
        'upload',
        'train',
        'deploy',
        'business',
      ]);
      assert.match(first.stdout, /fraction 0\.2 epochs 3/, "the command's output streams into the progress");
      assert.match(first.stdout, /\] 2$/m, 'the command read the out through PIPELINE_FROM_PREPARE_TRAIN');
      const prepared = await project.stageOutputs('prepare');
      assert.equal(prepared.outs.train.path, 'data/prepared');
      assert.match(prepared.outs.train.hash, /^[0-9a-f]{64}$/);
      assert.deepEqual((await project.stageOutputs('business')).userMetrics, { 'lift.revenue': 0.25 });

      const again = await project.runInProcess(['run']);
      assert.equal(again.exitCode, 0);
      assert.deepEqual(await project.stagesRan(), [], 'nothing changed: nothing runs');

      await writeFile(project.path('notes.txt'), 'unrelated\n');
      await project.runInProcess(['run']);
      assert.deepEqual(await project.stagesRan(), [], 'a file no stage reads: nothing runs');

      const paramPlan = await project.runInProcess(['plan', '--set', 'stages.prepare.params.fraction=0.3']);
      assert.match(paramPlan.stdout, /prepare\s+run\s+stages\.prepare\.params\.fraction: 0\.2 → 0\.3/);
      const configParam = await project.runInProcess(['plan', '--set', 'training.hyperparameters.epochs=4']);
      assert.match(configParam.stdout, /prepare\s+run\s+stages\.prepare\.params\.epochs: 3 → 4/);
      const byParam = await project.runInProcess(['run', '--set', 'stages.prepare.params.fraction=0.3']);
      assert.equal(byParam.exitCode, 0, byParam.stderr);
      // The same rows came out: what reads them is up to date with them.
      assert.deepEqual(await project.stagesRan(), ['prepare']);

      await writeFile(project.path('data/raw.csv'), '1,2,0\n3,4,1\n5,6,0\n');
      const depPlan = await project.runInProcess(['plan', '--set', 'stages.prepare.params.fraction=0.3']);
      assert.match(depPlan.stdout, /prepare\s+run\s+data\/raw\.csv modified/);
      assert.match(depPlan.stdout, /upload\s+run\s+.*prepare runs first/);
      await project.runInProcess(['run', '--set', 'stages.prepare.params.fraction=0.3']);
      assert.deepEqual(await project.stagesRan(), ['prepare', 'upload', 'train', 'deploy', 'business']);
      const diff = JSON.parse((await project.runInProcess(['diff', '--json'])).stdout) as {
        data: { path: string; before: string; after: string }[];
      };
      const out = diff.data.find((change) => change.path === 'prepare.train');
      assert.ok(out, `diff shows the out that changed: ${JSON.stringify(diff.data)}`);
      assert.notEqual(out.before, out.after);

      await rm(project.path('data/prepared'), { recursive: true });
      const gonePlan = await project.runInProcess(['plan', '--set', 'stages.prepare.params.fraction=0.3']);
      assert.match(gonePlan.stdout, /prepare\s+run\s+its out train \(data\/prepared\) is gone/);
      await project.runInProcess(['run', '--set', 'stages.prepare.params.fraction=0.3']);
      assert.deepEqual(
        await project.stagesRan(),
        ['prepare'],
        'the out made again, the same: nothing after it runs',
      );

      const only = await project.runInProcess([
        'run',
        '--only',
        'business',
        '--set',
        'stages.prepare.params.fraction=0.3',
      ]);
      assert.equal(only.exitCode, 0, only.stderr);
      assert.deepEqual(await project.stagesRan(), ['business'], '--only takes a user stage');
      const unknown = await project.runInProcess(['plan', '--from', 'prepar']);
      assert.equal(unknown.exitCode, 2);
      assert.match(unknown.stderr, /prepare/, 'the stages named include the user stages');

      const history = await project.runInProcess(['runs']);
      assert.match(history.stdout, /LIFT\.REVENUE/, "a user stage's metric is a column of `runs`");
      assert.match(history.stdout, /0\.2500/);
    }));

  it('fails on a missed gate, a non-zero exit with its last lines, or a missing out', () =>
    withProject(FILES, async (project) => {
      const gate = await project.runInProcess([
        'run',
        '--set',
        'stages.business.gates=["lift.revenue >= 0.5"]',
      ]);
      assert.equal(gate.exitCode, 1, gate.stdout);
      assert.match(gate.stderr, /gate "lift\.revenue >= 0\.5" missed: lift\.revenue is 0\.25/);

      await writeFile(project.path('src/prep.sh'), 'echo working on it\necho "no room left" >&2\nexit 3\n');
      const failed = await project.runInProcess(['run']);
      assert.equal(failed.exitCode, 1);
      assert.match(failed.stderr, /prepare: `sh src\/prep\.sh` exited with 3/);
      assert.match(failed.stderr, /no room left/, 'the last lines of its output');
      const record = await project.lastRunRecord();
      assert.equal(record.stages.prepare?.action, 'failed');
      assert.equal(record.stages.upload?.action, 'not-run');

      await writeFile(project.path('src/prep.sh'), 'echo made nothing\n');
      await rm(project.path('data/prepared'), { recursive: true, force: true });
      const missing = await project.runInProcess(['run']);
      assert.equal(missing.exitCode, 1);
      assert.match(missing.stderr, /prepare ended without making its out train \(data\/prepared\)/);
    }));

  it('run at once when independent, and after a failure start nothing new while the running ones finish', () =>
    withProject(
      {
        // Each waits until the other has started: they end only if they run at the same time.
        'pipeline.yaml': `${BASE_CONFIG}stages:
  left:
    command: touch left.started; while [ ! -f right.started ]; do sleep 0.02; done; echo left done
    timeoutSeconds: 20
  right:
    command: touch right.started; while [ ! -f left.started ]; do sleep 0.02; done; echo right done
    timeoutSeconds: 20
`,
      },
      async (project) => {
        const result = await project.runInProcess(['run', '--jobs', '2']);
        assert.equal(result.exitCode, 0, result.stdout + result.stderr);
        const ran = await project.stagesRan();
        assert.ok(ran.includes('left') && ran.includes('right'), ran.join(' '));

        await project.write({
          'pipeline.yaml': `${BASE_CONFIG}stages:
  breaks:
    command: touch broke; exit 4
  slow:
    command: while [ ! -f broke ]; do sleep 0.02; done; sleep 0.2; echo slow done
    timeoutSeconds: 20
  after-slow:
    command: echo never
    needs: [slow]
`,
        });
        const failed = await project.runInProcess(['run', '--jobs', '2']);
        assert.equal(failed.exitCode, 1);
        const record = await project.lastRunRecord();
        assert.equal(record.stages.breaks?.action, 'failed');
        assert.equal(record.stages.slow?.action, 'ran', 'the stage running when the other failed finished');
        assert.equal(record.stages['after-slow']?.action, 'not-run', 'no stage starts after a failure');
      },
    ));

  it('keeps a secret of its environment out of the output and the state', () =>
    withProject(
      {
        'pipeline.yaml': `${BASE_CONFIG}stages:
  talks:
    command: echo "the token is $API_TOKEN"
    env:
      API_TOKEN: \${MY_API_TOKEN}
`,
      },
      async (project) => {
        const result = await project.run(['run', '--only', 'talks'], {
          env: { MY_API_TOKEN: 'hunter2-very-secret' },
        });
        assert.equal(result.exitCode, 0, result.stderr);
        assert.doesNotMatch(result.stdout + result.stderr, /hunter2/);
        assert.match(result.stdout, /the token is \*\*\*/);
        assert.doesNotMatch(await project.read('.pipeline/state.json'), /hunter2/);
        const { report } = await project.stageOutputs('talks');
        assert.match(
          await project.read(report.logFile),
          /the token is \*\*\*/,
          'its log file has it redacted',
        );
      },
    ));
});
