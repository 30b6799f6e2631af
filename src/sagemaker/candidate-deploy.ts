// deploy.strategy gated: the new model (the candidate) is deployed beside the serving one (the
// champion) as a second production variant with no traffic; the evaluate stage scores both on the
// same rows, then promotes the candidate (traffic moved, all at once or through a canary, and the
// champion removed) or rolls it back (the champion keeps all the traffic). Each step starts from
// what the endpoint serves now, so a run killed anywhere is carried to one of the two end states
// by the next: never left half-weighted.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CreateEndpointConfigCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  type ProductionVariant,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';
import { pause, uniqueResourceName } from '../shared/poll.js';
import type { AwsConnection } from './aws-connection.js';
import {
  CANDIDATE_VARIANT,
  candidateConfigOf,
  createEndpointConfig,
  createModel,
  type Deployment,
  type DeployRequest,
  deleteDeployment,
  deleteEndpointConfig,
  deployEndpoint,
  type EndpointWatch,
  endpointNameOf,
  exists,
  settle,
} from './deploy-endpoint.js';
import { readLedger, writeLedger } from './deployments-ledger.js';
import { aws } from './explain-aws-error.js';

/** The serving model a candidate is judged against: its deployment, config and variant. */
export type Champion = { deploymentName: string; endpointConfig: string; variant: string };

export type CandidateDeployment = Deployment & {
  /** Absent on the first deploy: nothing served before, and the new model serves alone. */
  champion?: Champion;
  candidateVariant?: string;
};

const tagsOf = (config: PipelineConfig) => [{ Key: 'pipeline', Value: config.name }];

/** The champion behind what the endpoint serves: its only variant, or the one beside a candidate. */
async function championOf(
  connection: AwsConnection,
  endpointConfig: string,
): Promise<Champion & { spec: ProductionVariant }> {
  const described = await aws(`describing the endpoint config ${endpointConfig}`, () =>
    connection.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpointConfig })),
  );
  const variants = described.ProductionVariants ?? [];
  const serving = variants.find((variant) => variant.VariantName !== CANDIDATE_VARIANT);
  if (!serving?.ModelName || !serving.VariantName)
    throw new StageError(
      `the endpoint config ${endpointConfig} has no serving variant to judge a candidate against`,
    );
  // A champion's model and its own config share the deployment's name (deploy-endpoint.ts).
  const alone = variants.length === 1;
  return {
    deploymentName: serving.ModelName,
    endpointConfig: alone ? endpointConfig : serving.ModelName,
    variant: serving.VariantName,
    spec: serving,
  };
}

/**
 * The candidate's config starts the champion again beside it: on this machine's own local
 * SageMaker, a champion whose program folder is gone (the project moved) cannot start, and the
 * candidate could not be judged. Said before anything changes, with the way out.
 */
async function championCanServe(request: DeployRequest, champion: Champion): Promise<void> {
  const { connection, config } = request;
  if (connection.target !== 'local' || config.local.endpoint !== undefined) return;
  const model = await aws(`describing the model ${champion.deploymentName}`, () =>
    connection.sagemaker.send(new DescribeModelCommand({ ModelName: champion.deploymentName })),
  );
  const image = model.PrimaryContainer?.Image;
  if (!image?.startsWith('file://') || existsSync(fileURLToPath(image))) return;
  throw new StageError(
    `the serving model ${champion.deploymentName} runs the programs in ${fileURLToPath(image)}, which are gone (did the project move?): a candidate cannot be judged beside it`,
    'Serve the new model alone once: `pipeline run --set deploy.strategy=replace`; later runs judge their candidates beside it again.',
  );
}

/** Deploys the candidate beside the champion (or alone, the first time). */
export async function deployCandidate(request: DeployRequest): Promise<CandidateDeployment> {
  const { connection, config } = request;
  const endpointName = endpointNameOf(config);
  const current = await settle(request, endpointName, 'waiting for an earlier change');
  const servingNow = current?.EndpointStatus === 'InService' ? current.EndpointConfigName : undefined;
  // Nothing serves (or what did has failed): the first deploy, as the replace strategy makes it.
  if (!servingNow) return deployEndpoint(request);

  // Names of 61 characters at most: the candidate config adds two.
  const name = request.resumeDeployment ?? uniqueResourceName(config.name, new Date(), 61);
  const candidateConfig = candidateConfigOf(name);
  if (servingNow === name) return deployEndpoint(request);
  const champion = await championOf(connection, servingNow);
  await championCanServe(request, champion);
  if (champion.deploymentName === name)
    throw new StageError(
      `the endpoint ${endpointName} serves ${name} already: there is no candidate to judge`,
    );
  const ledger = await readLedger(request.ledgerFile);
  if (!ledger.deployments.includes(name)) ledger.deployments.push(name);
  ledger.endpointName = endpointName;
  await writeLedger(request.ledgerFile, ledger);
  await request.saveDeployment(name);

  if (!(await exists(connection, 'model', name))) await createModel(request, name, tagsOf(config));
  if (!(await exists(connection, 'endpoint config', candidateConfig))) {
    request.step(`creating the endpoint config ${candidateConfig}`);
    const { spec } = champion;
    await aws(`creating the endpoint config ${candidateConfig}`, () =>
      connection.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: candidateConfig,
          ProductionVariants: [
            // The champion as it serves now, with all the traffic.
            {
              VariantName: champion.variant,
              ModelName: champion.deploymentName,
              ...(spec.InitialInstanceCount !== undefined
                ? { InitialInstanceCount: spec.InitialInstanceCount }
                : {}),
              ...(spec.InstanceType !== undefined ? { InstanceType: spec.InstanceType } : {}),
              ...(spec.ContainerStartupHealthCheckTimeoutInSeconds !== undefined
                ? {
                    ContainerStartupHealthCheckTimeoutInSeconds:
                      spec.ContainerStartupHealthCheckTimeoutInSeconds,
                  }
                : {}),
              InitialVariantWeight: 1,
            },
            // The candidate, as deploy says, with none: only the evaluation's requests reach it.
            {
              VariantName: CANDIDATE_VARIANT,
              ModelName: name,
              InitialInstanceCount: config.deploy.instanceCount,
              InstanceType: config.deploy.instanceType as never,
              ...(config.deploy.startupTimeoutSeconds !== undefined
                ? { ContainerStartupHealthCheckTimeoutInSeconds: config.deploy.startupTimeoutSeconds }
                : {}),
              InitialVariantWeight: 0,
            },
          ],
          Tags: tagsOf(config),
        }),
      ),
    );
  }
  if (servingNow !== candidateConfig) {
    request.step(`adding the candidate to ${endpointName}`);
    await aws(`updating the endpoint ${endpointName}`, () =>
      connection.sagemaker.send(
        new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: candidateConfig }),
      ),
    );
    request.log(`the candidate ${name} joins ${champion.deploymentName} on ${endpointName}, with no traffic`);
  }
  const done = await settle(request, endpointName, 'deploying the candidate');
  if (done?.EndpointStatus !== 'InService' || done.EndpointConfigName !== candidateConfig)
    throw new StageError(
      `the endpoint ${endpointName} did not take the candidate ${name}: ${done?.EndpointStatus ?? 'gone'}: ${done?.FailureReason ?? 'no reason given'}`,
      done?.EndpointStatus === 'InService' ? `It still serves ${done.EndpointConfigName}.` : undefined,
    );
  return {
    endpointName,
    deploymentName: name,
    endpointArn: done.EndpointArn ?? '',
    champion: {
      deploymentName: champion.deploymentName,
      endpointConfig: champion.endpointConfig,
      variant: champion.variant,
    },
    candidateVariant: CANDIDATE_VARIANT,
  };
}

export interface JudgedCandidate extends EndpointWatch {
  config: PipelineConfig;
  ledgerFile: string;
  deploymentName: string;
  champion: Champion;
  log(line: string): void;
}

/** Moves the endpoint to `endpointConfig` and waits until it serves it. */
async function serveOnly(request: JudgedCandidate, endpointConfig: string, doing: string): Promise<void> {
  const endpointName = endpointNameOf(request.config);
  const now = await settle(request, endpointName, 'waiting for an earlier change');
  if (now?.EndpointConfigName !== endpointConfig) {
    request.step(`${doing}: ${endpointName}`);
    await aws(`updating the endpoint ${endpointName}`, () =>
      request.connection.sagemaker.send(
        new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: endpointConfig }),
      ),
    );
  }
  const done = await settle(request, endpointName, doing);
  if (done?.EndpointStatus !== 'InService' || done.EndpointConfigName !== endpointConfig)
    throw new StageError(
      `the endpoint ${endpointName} did not move to ${endpointConfig}: ${done?.EndpointStatus ?? 'gone'}: ${done?.FailureReason ?? 'no reason given'}`,
    );
}

/** `5m` → 300,000. */
export const durationMs = (text: string): number =>
  Number(text.slice(0, -1)) * ({ s: 1000, m: 60_000, h: 3_600_000 }[text.slice(-1)] ?? 1000);

/**
 * The candidate passed: the traffic moves to it (through the canary, when deploy.shift says so),
 * then it serves alone under its own config, and the champion's model and configs are deleted.
 */
export async function promoteCandidate(request: JudgedCandidate): Promise<void> {
  const { connection, config, deploymentName, champion } = request;
  const endpointName = endpointNameOf(config);
  const now = await settle(request, endpointName, 'waiting for an earlier change');
  const shift = config.deploy.shift;
  if (shift && now?.EndpointConfigName === candidateConfigOf(deploymentName)) {
    const share = Number(shift.canary.slice(0, -1)) / 100;
    request.step(`canary: ${shift.canary} of the traffic to ${deploymentName}`);
    await aws(`shifting the traffic of ${endpointName}`, () =>
      connection.sagemaker.send(
        new UpdateEndpointWeightsAndCapacitiesCommand({
          EndpointName: endpointName,
          DesiredWeightsAndCapacities: [
            { VariantName: champion.variant, DesiredWeight: 1 - share },
            { VariantName: CANDIDATE_VARIANT, DesiredWeight: share },
          ],
        }),
      ),
    );
    await settle(request, endpointName, 'shifting the traffic');
    request.log(`canary: ${shift.canary} of the traffic goes to ${deploymentName} for ${shift.wait}`);
    request.step(`canary: ${shift.canary} to ${deploymentName} for ${shift.wait}`);
    await pause(durationMs(shift.wait), request.signal);
    if (request.signal.aborted) throw new StageError(`stopped during the canary of ${deploymentName}`);
  }
  const alone = deploymentName;
  if (!(await exists(connection, 'endpoint config', alone))) {
    await createEndpointConfig(request, alone, tagsOf(config));
  }
  await serveOnly(request, alone, 'promoting the candidate');
  request.log(
    `${deploymentName} takes all the traffic of ${endpointName}; ${champion.deploymentName} is retired`,
  );
  const ledger = await readLedger(request.ledgerFile);
  for (const old of ledger.deployments.filter((other) => other !== deploymentName))
    await deleteDeployment(connection, old, request.log);
  // The candidate config has done its work: the deployment keeps its own.
  await deleteEndpointConfig(connection, candidateConfigOf(deploymentName), request.log);
  await writeLedger(request.ledgerFile, { endpointName, deployments: [deploymentName] });
}

/** The candidate missed a gate: the champion serves alone again, and the candidate is deleted. */
export async function rollBackCandidate(request: JudgedCandidate): Promise<void> {
  const { connection, config, deploymentName, champion } = request;
  const endpointName = endpointNameOf(config);
  await serveOnly(request, champion.endpointConfig, 'removing the candidate');
  request.log(
    `${champion.deploymentName} serves ${endpointName} alone again; the candidate ${deploymentName} is deleted`,
  );
  // This candidate, and any an earlier attempt left behind: the champion is all that serves.
  const ledger = await readLedger(request.ledgerFile);
  for (const other of new Set([...ledger.deployments, deploymentName]))
    if (other !== champion.deploymentName) await deleteDeployment(connection, other, request.log);
  await writeLedger(request.ledgerFile, { endpointName, deployments: [champion.deploymentName] });
}

/** What evaluate did with the candidate its gates judged. */
export type Verdict = 'promoted' | 'rolled back' | 'promoted earlier';

/**
 * Acts on the gates' verdict while the candidate is on the endpoint beside the champion; once it
 * serves alone (promoted by an earlier attempt), there is nothing left to move.
 */
export async function judgeCandidate(request: JudgedCandidate, passed: boolean): Promise<Verdict> {
  const endpointName = endpointNameOf(request.config);
  const now = await settle(request, endpointName, 'waiting for an earlier change');
  if (now?.EndpointConfigName === request.deploymentName) {
    // Moved by an attempt killed before it had cleaned up: the champion's leftovers go now.
    await promoteCandidate(request);
    return passed ? 'promoted' : 'promoted earlier';
  }
  if (passed) {
    await promoteCandidate(request);
    return 'promoted';
  }
  await rollBackCandidate(request);
  return 'rolled back';
}

/** Whether the endpoint holds the candidate beside the champion now (invoke asks both then). */
export async function candidateOnEndpoint(
  connection: AwsConnection,
  endpointName: string,
  deploymentName: string,
): Promise<boolean> {
  const endpoint = await aws(`describing the endpoint ${endpointName}`, () =>
    connection.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName })),
  );
  return endpoint.EndpointConfigName === candidateConfigOf(deploymentName);
}
