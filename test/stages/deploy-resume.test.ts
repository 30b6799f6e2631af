// A deploy killed between CreateModel and CreateEndpointConfig (found by the kill -9 trials): the
// next run re-attaches to the deployment it had named, finds the model but no endpoint config,
// creates the config and deploys. The moment lasts milliseconds, so the test leaves the local
// SageMaker exactly as such a kill does and resumes the deploy through the stage's own code.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateModelCommand, DescribeEndpointCommand, ListModelsCommand } from '@aws-sdk/client-sagemaker';
import { loadConfig } from '../../src/engine/config/load-config.js';
import { connect } from '../../src/sagemaker/aws-connection.js';
import { deployEndpoint } from '../../src/sagemaker/deploy-endpoint.js';
import { ledgerFile, readLedger } from '../../src/sagemaker/deployments-ledger.js';
import { cleanUpExampleProject, freshExampleProject } from '../rig/local-target.js';
import { type TestProject, waitFor } from '../rig/project.js';

// The replace strategy's deploy, resumed (a gated deploy's candidate is gated-deploy.test.ts's).
const SETS = ['runtime=process', 'training.hyperparameters.epochs=2', 'deploy.strategy=replace'];

describe('resuming an interrupted deploy', () => {
  let project: TestProject;
  before(async () => {
    project = await freshExampleProject();
  });
  after(() => cleanUpExampleProject(project));

  it('creates the endpoint config that a run killed after CreateModel never made, then deploys', async () => {
    const trained = await project.run(['run', '--to', 'train', ...SETS.flatMap((set) => ['--set', set])], {
      real: true,
    });
    assert.equal(trained.exitCode, 0, trained.stdout + trained.stderr);
    const loaded = await loadConfig({ file: project.path('pipeline.yaml'), sets: SETS, env: process.env });
    assert.ok(loaded.ok);
    const config = loaded.value.config;
    const stateDir = project.path('.pipeline');
    const connection = await connect(config, stateDir);
    const imageUri = String((await project.stageOutputs('push')).imageUri);
    const modelArtifact = String((await project.stageOutputs('train')).modelArtifact);

    // What the killed run left: its deployment's name in the ledger, and a model of that name.
    const name = `${config.name}-interrupted-deploy`;
    const ledger = ledgerFile(stateDir, config.target);
    await connection.sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        PrimaryContainer: { Image: imageUri, ModelDataUrl: modelArtifact },
        ExecutionRoleArn: config.aws.roleArn,
      }),
    );

    const deployment = await deployEndpoint({
      connection,
      config,
      imageUri,
      modelArtifact,
      ledgerFile: ledger,
      resumeDeployment: name,
      saveDeployment: async () => undefined,
      step: () => undefined,
      log: () => undefined,
      signal: new AbortController().signal,
    });
    assert.equal(deployment.deploymentName, name);
    const endpoint = await connection.sagemaker.send(
      new DescribeEndpointCommand({ EndpointName: deployment.endpointName }),
    );
    assert.equal(endpoint.EndpointStatus, 'InService');
    assert.equal(endpoint.EndpointConfigName, name);
    // `destroy` (the suite's clean-up) finds it through the ledger.
    assert.ok((await readLedger(ledger)).deployments.includes(name));
  });

  it('a forced re-deploy killed while the endpoint updates: the next run finishes it and leaves nothing superseded', async () => {
    const args = SETS.flatMap((set) => ['--set', set]);
    const deployed = await project.run(['run', '--to', 'deploy', ...args], { real: true });
    assert.equal(deployed.exitCode, 0, deployed.stdout + deployed.stderr);
    const before = String((await project.stageOutputs('deploy')).deploymentName);

    const forced = project.spawn(['run', '--from', 'deploy', '--to', 'deploy', '--force', ...args], {
      real: true,
    });
    const loaded = await loadConfig({ file: project.path('pipeline.yaml'), sets: SETS, env: process.env });
    assert.ok(loaded.ok);
    const connection = await connect(loaded.value.config, project.path('.pipeline'));
    // The moment to kill: the new deployment is named in the state and the endpoint is updating to it.
    const next = await waitFor(
      async () => {
        const handle = await project.savedHandle('deploy');
        const named = handle?.deploymentName;
        if (!named || named === before) return undefined;
        const endpoint = await connection.sagemaker.send(
          new DescribeEndpointCommand({ EndpointName: 'keras-example' }),
        );
        return endpoint.EndpointStatus === 'Updating' ? named : undefined;
      },
      'the forced deploy to start updating the endpoint',
      60,
    );
    forced.kill('SIGKILL');
    await forced;

    const plan = await project.run(['plan', '--to', 'deploy', ...args], { real: true });
    assert.match(plan.stdout, /deploy\s+run\s+endpoint keras-example (is Updating|serves)/, plan.stdout);
    const resumed = await project.run(['run', '--to', 'deploy', ...args], { real: true });
    assert.equal(resumed.exitCode, 0, resumed.stdout + resumed.stderr);
    const after = await project.stageOutputs('deploy');
    assert.equal(after.deploymentName, next, 'the run finished the deployment the killed run began');
    const endpoint = await connection.sagemaker.send(
      new DescribeEndpointCommand({ EndpointName: 'keras-example' }),
    );
    assert.equal(endpoint.EndpointConfigName, next);
    assert.equal(endpoint.EndpointStatus, 'InService');
    const models = await connection.sagemaker.send(new ListModelsCommand({}));
    assert.deepEqual(
      models.Models?.map((model) => model.ModelName),
      [next],
      'nothing superseded is left',
    );
    const again = await project.run(['plan', '--to', 'deploy', ...args], { real: true });
    assert.match(again.stdout, /deploy\s+skip/, again.stdout);
  });
});
