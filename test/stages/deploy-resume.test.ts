// A deploy killed between CreateModel and CreateEndpointConfig (found by the kill -9 trials): the
// next run re-attaches to the deployment it had named, finds the model but no endpoint config,
// creates the config and deploys. The moment lasts milliseconds, so the test leaves the local
// SageMaker exactly as such a kill does and resumes the deploy through the stage's own code.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateModelCommand, DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { connect } from '../../src/aws/aws-connection.js';
import { deployEndpoint } from '../../src/cloud/deploy-endpoint.js';
import { ledgerFile, readLedger } from '../../src/cloud/deployments-ledger.js';
import { loadConfig } from '../../src/config/load-config.js';
import { cleanUpExampleProject, freshExampleProject } from '../rig/local-target.js';
import type { TestProject } from '../rig/project.js';

const SETS = ['runtime=process', 'training.hyperparameters.epochs=2'];

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
});
