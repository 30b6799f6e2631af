// deploy: model, endpoint config and endpoint (created, or updated in place without downtime).
import type { Stage, StageOutputs } from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import { readPushOutputs } from './push.js';
import { readTrainOutputs } from './train.js';

/** What deploy records: the endpoint and the deployment (model and endpoint config) it serves. */
export const readDeployOutputs = outputReader('deploy', {
  endpointName: 'string',
  deploymentName: 'string',
  modelArtifact: 'string',
  /** deploy.strategy gated: the serving model the candidate was deployed beside. */
  champion: 'object?',
  candidateVariant: 'string?',
});
export type DeployOutputs = ReturnType<typeof readDeployOutputs>;

export const deploy: Stage = {
  name: 'deploy',
  description: 'deploy the model to an endpoint',
  needs: ['push', 'train'],
  version: 2,
  inputs: (config) => ({
    config: { deploy: config.deploy, 'aws.roleArn': config.aws.roleArn, target: config.target },
    files: [],
  }),
  run: async (ctx): Promise<StageOutputs> => {
    const { connect } = await import('../src/sagemaker/aws-connection.js');
    const { deployEndpoint } = await import('../src/sagemaker/deploy-endpoint.js');
    const { deployCandidate } = await import('../src/sagemaker/candidate-deploy.js');
    const { ledgerFile } = await import('../src/sagemaker/deployments-ledger.js');
    ctx.step('connecting');
    const connection = await connect(ctx.config, ctx.stateDir);
    const resumeDeployment = ctx.resumeHandle?.deploymentName;
    const { imageUri } = readPushOutputs(ctx.upstream.push, ctx.projectDir);
    const { modelArtifact } = readTrainOutputs(ctx.upstream.train);
    // Gated: beside the serving model, with no traffic, until evaluate has judged it.
    const deploy = ctx.config.deploy.strategy === 'gated' ? deployCandidate : deployEndpoint;
    const deployment = await deploy({
      connection,
      config: ctx.config,
      imageUri,
      modelArtifact,
      ledgerFile: ledgerFile(ctx.stateDir, ctx.config.target),
      ...(typeof resumeDeployment === 'string' ? { resumeDeployment } : {}),
      saveDeployment: (deploymentName) => ctx.saveHandle({ deploymentName }),
      step: ctx.step,
      log: ctx.log,
      signal: ctx.signal,
    });
    ctx.log(`${deployment.endpointName} is InService with ${deployment.deploymentName}`);
    return { ...deployment, modelArtifact } as StageOutputs;
  },
  checkConfig: async (config) => {
    const { deploymentRequestProblems } = await import('../src/sagemaker/request-check.js');
    return deploymentRequestProblems(config);
  },
  drift: async ({ config, stateDir, outputs, mayStart }) => {
    const { endpointName, deploymentName, champion } = outputs;
    if (typeof endpointName !== 'string' || typeof deploymentName !== 'string') return undefined;
    const { driftLooksFor, endpointDrift } = await import('../src/sagemaker/drift.js');
    const { candidateConfigOf } = await import('../src/sagemaker/deploy-endpoint.js');
    const looks = await driftLooksFor(config, stateDir, mayStart);
    // A candidate not yet judged serves beside the champion; once promoted, alone.
    const asCandidate = champion ? candidateConfigOf(deploymentName) : undefined;
    return looks ? endpointDrift(looks, endpointName, deploymentName, asCandidate) : undefined;
  },
};
