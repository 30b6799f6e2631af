// deploy.strategy gated on the local target, through the real CLI (process runtime): the new model
// is deployed beside the serving one with no traffic, both are sent the evaluation rows, and the
// gates (absolute, and against the champion) decide: promoted, the champion retired; or rolled
// back, the champion serving alone as before. A kill -9 during the canary is carried to the end
// state by the next run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { cleanUpExampleProject, freshExampleProject, localTargetOf } from '../rig/local-target.js';
import { type TestProject, waitFor } from '../rig/project.js';

const RUN = ['run', '--set', 'runtime=process', '--set', 'localTest.hyperparameters.epochs=1'];
const GOOD = (epochs: number) => [...RUN, '--set', `training.hyperparameters.epochs=${epochs}`];
const BAD = [
  ...RUN,
  '--set',
  'training.hyperparameters.epochs=1',
  '--set',
  'training.hyperparameters.learning_rate=0.0001',
];

describe('deploy.strategy gated: the candidate judged beside the champion before it takes traffic', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
    const yaml = (await project.read('pipeline.yaml'))
      .replace('  instanceCount: 1\n\ninvoke:', '  instanceCount: 1\n  strategy: gated\n\ninvoke:')
      .replace('    - accuracy >= 0.9\n', '    - accuracy >= 0.8\n    - accuracy >= champion - 0.01\n');
    assert.match(yaml, /strategy: gated/);
    assert.match(yaml, /champion - 0\.01/);
    await project.write({ 'pipeline.yaml': yaml });
  });
  after(() => cleanUpExampleProject(project));

  /** What the endpoint serves, and every model and config left in the local SageMaker. */
  async function endpointState() {
    const target = await localTargetOf(project);
    try {
      const endpoint = await target.sagemaker.send(
        new DescribeEndpointCommand({ EndpointName: 'keras-example' }),
      );
      const models = (await target.sagemaker.send(new ListModelsCommand({}))).Models ?? [];
      const configs = (await target.sagemaker.send(new ListEndpointConfigsCommand({}))).EndpointConfigs ?? [];
      return {
        serves: endpoint.EndpointConfigName,
        variants: (endpoint.ProductionVariants ?? []).map((v) => [v.VariantName, v.CurrentWeight]),
        models: models.map((m) => m.ModelName).sort(),
        configs: configs.map((c) => c.EndpointConfigName).sort(),
      };
    } finally {
      target.close();
    }
  }

  /**
   * Sends one evaluation row to the endpoint (as a client would: no TargetVariant) again and again
   * until `until` settles: which variant answered each request, and with what.
   */
  async function askWhile(until: Promise<unknown>): Promise<{ variant: string; body: string }[]> {
    const row = ((await project.read('data/eval/eval_data.csv')).split('\n')[0] as string).trim();
    const target = await localTargetOf(project);
    const answers: { variant: string; body: string }[] = [];
    let done = false;
    void until.finally(() => {
      done = true;
    });
    try {
      do {
        const answer = await target.runtime.send(
          new InvokeEndpointCommand({ EndpointName: 'keras-example', ContentType: 'text/csv', Body: row }),
        );
        answers.push({
          variant: answer.InvokedProductionVariant ?? '?',
          body: Buffer.from(answer.Body ?? []).toString(),
        });
      } while (!done);
    } finally {
      target.close();
    }
    return answers;
  }

  it('refuses a gate against the champion without the gated strategy', async () => {
    const result = await project.run(['validate', '--set', 'deploy.strategy=replace'], { real: true });
    assert.equal(result.exitCode, 2);
    assert.match(
      result.stderr,
      /gate "accuracy >= champion - 0\.01" compares with the serving model: it needs deploy\.strategy: gated/,
    );
  });

  it('deploys the first model alone, gated on the absolute gates', async () => {
    const first = await project.run(GOOD(5), { real: true });
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    const deployed = await project.stageOutputs('deploy');
    assert.equal(deployed.champion, undefined, 'nothing served before');
    const state = await endpointState();
    assert.equal(state.serves, deployed.deploymentName);
    assert.deepEqual(state.variants, [['AllTraffic', 1]]);
    const { report } = await project.stageOutputs('evaluate');
    assert.match(
      await project.read(report.summary),
      /`accuracy >= champion - 0\.01`: skipped, no model serves yet/,
    );
  });

  it('promotes a candidate that passes, after scoring both on the same rows, and retires the champion', async () => {
    const champion = (await project.stageOutputs('deploy')).deploymentName;
    const result = await project.run(GOOD(6), { real: true });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /joins .* on keras-example, with no traffic/);
    assert.match(result.stdout, /the serving model's 15 predictions/);
    assert.match(result.stdout, /the serving model on the same rows: accuracy=/);
    const candidate = (await project.stageOutputs('deploy')).deploymentName;
    assert.equal((await project.stageOutputs('deploy')).champion.deploymentName, champion);
    assert.equal((await project.stageOutputs('evaluate')).verdict, 'promoted');
    const state = await endpointState();
    assert.deepEqual(state, {
      serves: candidate,
      variants: [['AllTraffic', 1]],
      models: [candidate],
      configs: [candidate],
    });
    const files = (await project.stageOutputs('evaluate')).report;
    assert.match(await project.read(files.report), /<th>candidate<\/th><th>champion<\/th>/);
    const summary = await project.read(files.summary);
    assert.match(summary, /\| metric \| candidate \| champion \| against it \|/);
    assert.match(summary, /`accuracy >= champion - 0\.01`: [0-9.]+ \(against [0-9.]+\)/);
  });

  it('rolls back a candidate that misses a gate: the champion keeps all the traffic, exit 1', async () => {
    const champion = (await project.stageOutputs('deploy')).deploymentName;
    const [before] = await askWhile(Promise.resolve());
    const attempt = project.run(BAD, { real: true });
    const during = await askWhile(attempt);
    const result = await attempt;
    assert.equal(result.exitCode, 1, result.stdout);
    // Every request during the attempt, and after it, was answered by the champion.
    const afterwards = await askWhile(new Promise((resolve) => setTimeout(resolve, 200)));
    assert.ok(during.length > 1 && afterwards.length > 0);
    for (const answer of [...during, ...afterwards]) assert.deepEqual(answer, before);
    assert.equal(before?.variant, 'AllTraffic');
    assert.match(
      result.stderr,
      /gate "accuracy >= champion - 0\.01" missed: accuracy is [0-9.]+, [0-9.]+ short \(the champion's, - 0\.01: [0-9.]+\)/,
    );
    assert.match(result.stderr, /The candidate was removed: the serving model keeps all the traffic\./);
    assert.deepEqual(await endpointState(), {
      serves: champion,
      variants: [['AllTraffic', 1]],
      models: [champion],
      configs: [champion],
    });
    const ledger = JSON.parse(await project.read('.pipeline/deployments/local.json')) as {
      deployments: string[];
    };
    assert.deepEqual(ledger.deployments, [champion]);
  });

  it('carries a run killed during the canary to the end state on the next run', async () => {
    const shift = ['--set', 'deploy.shift={"canary":"50%","wait":"5s"}'];
    const args = [...GOOD(7), ...shift];
    const killed = project.spawn(args, { real: true });
    let output = '';
    killed.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(
      async () => /canary: 50% of the traffic goes to/.test(output) || undefined,
      'the canary',
      180,
    );
    // During the wait both variants answer requests, half each.
    const canary = await askWhile(new Promise((resolve) => setTimeout(resolve, 1000)));
    assert.deepEqual(
      [...new Set(canary.map((answer) => answer.variant))].sort(),
      ['AllTraffic', 'Candidate'],
      `${canary.length} requests during the canary`,
    );
    killed.kill('SIGKILL');
    await killed;
    const halfway = await endpointState();
    assert.deepEqual(
      halfway.variants.map(([name, weight]) => [name, Number(weight).toFixed(1)]),
      [
        ['AllTraffic', '0.5'],
        ['Candidate', '0.5'],
      ],
      'killed with the traffic split',
    );

    const resumed = await project.run(args, { real: true });
    assert.equal(resumed.exitCode, 0, resumed.stdout + resumed.stderr);
    const candidate = (await project.stageOutputs('deploy')).deploymentName;
    assert.equal((await project.stageOutputs('evaluate')).verdict, 'promoted');
    assert.deepEqual(await endpointState(), {
      serves: candidate,
      variants: [['AllTraffic', 1]],
      models: [candidate],
      configs: [candidate],
    });
  });
});
