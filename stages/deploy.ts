// deploy: model, endpoint config and endpoint (created, or updated in place without downtime).
import type { PipelineConfig } from '../src/engine/config/pipeline-config.js';
import type { Stage, StageContext, StageOutputs } from '../src/engine/stage.js';
import { outputReader } from '../src/engine/stage-outputs.js';
import type { AwsConnection } from '../src/sagemaker/aws-connection.js';
import type { ApprovedVersion } from '../src/sagemaker/model-registry.js';
import { StageError } from '../src/shared/errors.js';
import { readPushOutputs } from './push.js';
import { readTrainOutputs } from './train.js';

/** What deploy records: the endpoint and the deployment (model and endpoint config) it serves. */
export const readDeployOutputs = outputReader('deploy', {
  /** Absent when deploy.enabled is false: only the model was made, for a transform job. */
  endpointName: 'string?',
  deploymentName: 'string',
  modelArtifact: 'string',
  /** deploy.strategy gated: the serving model the candidate was deployed beside. */
  champion: 'object?',
  candidateVariant: 'string?',
});
export type DeployOutputs = ReturnType<typeof readDeployOutputs>;

/** The latest approved version of the pipeline's model, or a failure that says how to approve one. */
async function approvedVersion(ctx: StageContext, connection: AwsConnection): Promise<ApprovedVersion> {
  const { latestApproved, modelGroupOf } = await import('../src/sagemaker/model-registry.js');
  ctx.step('finding the latest approved version');
  const approved = await latestApproved(connection, ctx.config);
  if (!approved)
    throw new StageError(
      `deploy.requireApproval: no version of ${modelGroupOf(ctx.config)} is approved in the model registry`,
      'Each run whose gates pass registers its model there, waiting for approval: `pipeline approve RUN` approves it (`pipeline runs` lists the runs).',
    );
  ctx.log(
    `serving version ${approved.version} of ${modelGroupOf(ctx.config)}, approved${approved.runId ? ` (registered by run ${approved.runId})` : ''}`,
  );
  return approved;
}

/**
 * Whether a new model is deployed as a candidate for evaluate to judge: deploy.strategy gated,
 * with an evaluate section to judge it (without one, nothing would, and it takes the traffic).
 */
/**
 * deploy.enabled false with nothing to run without an endpoint (invoke.via transform needs only the
 * model): deploy, invoke and evaluate are all turned off, each saying why.
 */
export const noEndpointWork = (config: PipelineConfig): boolean =>
  !config.deploy.enabled && config.invoke?.via !== 'transform';

const judged = (config: PipelineConfig): boolean =>
  config.deploy.strategy === 'gated' && config.evaluate !== undefined;

export const deploy: Stage = {
  name: 'deploy',
  description: 'deploy the model to an endpoint',
  needs: ['push', 'train'],
  version: 2,
  inputs: (config) => ({
    config: { deploy: config.deploy, 'aws.roleArn': config.aws.roleArn, target: config.target },
    files: [],
  }),
  disabled: (config) => (noEndpointWork(config) ? 'deploy.enabled is false: no endpoint is made' : undefined),
  note: (config) =>
    !config.deploy.enabled
      ? "deploy.enabled is false: only the model is made, for invoke's transform job; no endpoint"
      : config.deploy.strategy === 'gated' && !judged(config)
        ? 'no evaluate section to judge a candidate: the new model takes the traffic, as deploy.strategy replace does'
        : undefined,
  run: async (ctx): Promise<StageOutputs> => {
    const { connect } = await import('../src/sagemaker/aws-connection.js');
    const { deployEndpoint } = await import('../src/sagemaker/deploy-endpoint.js');
    const { deployCandidate } = await import('../src/sagemaker/candidate-deploy.js');
    const { ledgerFile } = await import('../src/sagemaker/deployments-ledger.js');
    ctx.step('connecting');
    const connection = await connect(ctx.config, ctx.stateDir);
    const resumeDeployment = ctx.resumeHandle?.deploymentName;
    let { imageUri } = readPushOutputs(ctx.upstream.push, ctx.projectDir);
    let { modelArtifact } = readTrainOutputs(ctx.upstream.train);
    // deploy.requireApproval: the latest version a person approved, not this run's model.
    const approved = ctx.config.deploy.requireApproval ? await approvedVersion(ctx, connection) : undefined;
    if (approved) ({ imageUri, modelArtifact } = approved);
    const common = {
      connection,
      config: ctx.config,
      imageUri,
      modelArtifact,
      ledgerFile: ledgerFile(ctx.stateDir, ctx.config.target),
      ...(typeof resumeDeployment === 'string' ? { resumeDeployment } : {}),
      saveDeployment: (deploymentName: string) => ctx.saveHandle({ deploymentName }),
      step: ctx.step,
      log: ctx.log,
      signal: ctx.signal,
    };
    const registered = approved
      ? { modelPackageArn: approved.modelPackageArn, modelPackageVersion: approved.version }
      : {};
    if (!ctx.config.deploy.enabled) {
      const { deployModelOnly } = await import('../src/sagemaker/deploy-endpoint.js');
      const { deploymentName } = await deployModelOnly(common);
      ctx.log(
        `the model ${deploymentName} is made for the transform job; no endpoint (deploy.enabled is false)`,
      );
      return { deploymentName, modelArtifact, ...registered } as StageOutputs;
    }
    // Gated: beside the serving model, with no traffic, until evaluate has judged it.
    const deploy = judged(ctx.config) ? deployCandidate : deployEndpoint;
    const deployment = await deploy(common);
    ctx.log(`${deployment.endpointName} is InService with ${deployment.deploymentName}`);
    return { ...deployment, modelArtifact, ...registered } as StageOutputs;
  },
  checkConfig: async (config) => {
    const { deploymentRequestProblems } = await import('../src/sagemaker/request-check.js');
    return deploymentRequestProblems(config);
  },
  drift: async ({ config, stateDir, outputs, mayStart }) => {
    const { endpointName, deploymentName, champion, modelPackageArn, modelPackageVersion } = outputs;
    if (typeof endpointName !== 'string' || typeof deploymentName !== 'string') return undefined;
    const { driftLooksFor, endpointDrift } = await import('../src/sagemaker/drift.js');
    const { candidateConfigOf } = await import('../src/sagemaker/deployment-names.js');
    const looks = await driftLooksFor(config, stateDir, mayStart);
    if (!looks) return undefined;
    // A candidate not yet judged serves beside the champion; once promoted, alone.
    const asCandidate = champion ? candidateConfigOf(deploymentName) : undefined;
    const drift = await endpointDrift(looks, endpointName, deploymentName, asCandidate);
    if (drift || !config.deploy.requireApproval) return drift;
    // Serving approved versions only: has a newer one been approved (or this one revoked)?
    const { connect } = await import('../src/sagemaker/aws-connection.js');
    const { latestApproved, modelGroupOf } = await import('../src/sagemaker/model-registry.js');
    const latest = await latestApproved(await connect(config, stateDir), config);
    if (latest?.modelPackageArn === modelPackageArn) return undefined;
    return latest
      ? `version ${latest.version} of ${modelGroupOf(config)} is the latest approved; the endpoint serves ${typeof modelPackageVersion === 'number' ? `version ${modelPackageVersion}` : 'another model'}`
      : `no version of ${modelGroupOf(config)} is approved any longer`;
  },
};
