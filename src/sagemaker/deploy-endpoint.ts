// Deploys a trained model: CreateModel and CreateEndpointConfig (one name for both), then
// CreateEndpoint, or UpdateEndpoint when the endpoint exists, which SageMaker performs without
// downtime; waits for InService, and deletes the models and configs the update superseded.

import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  type DescribeEndpointOutput,
  DescribeModelCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';
import { uniqueResourceName } from '../shared/poll.js';
import type { AwsConnection } from './aws-connection.js';
import { isNotFound } from './aws-errors.js';
import { candidateConfigOf } from './deployment-names.js';
import { type Ledger, readLedger, writeLedger } from './deployments-ledger.js';
import { executionRoleOf } from './execution-role.js';
import { aws, explainAwsError } from './explain-aws-error.js';
import { StatusWait } from './status-wait.js';

export interface DeployRequest {
  connection: AwsConnection;
  config: PipelineConfig;
  imageUri: string;
  modelArtifact: string;
  ledgerFile: string;
  /** The deployment an interrupted run began, to carry on with. */
  resumeDeployment?: string;
  saveDeployment(name: string): Promise<void>;
  step(title: string): void;
  log(line: string): void;
  signal: AbortSignal;
}

export type Deployment = {
  endpointName: string;
  /** The model's and the endpoint config's name. */
  deploymentName: string;
  endpointArn: string;
};

export const endpointNameOf = (config: PipelineConfig): string => config.deploy.endpointName ?? config.name;

export async function describeEndpoint(
  connection: AwsConnection,
  name: string,
): Promise<DescribeEndpointOutput | undefined> {
  try {
    return await connection.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw explainAwsError(error, `describing the endpoint ${name}`);
  }
}

/** Whether a model or endpoint config of this name exists (an interrupted run may have made it). */
export async function exists(connection: AwsConnection, kind: 'model' | 'endpoint config', name: string) {
  try {
    if (kind === 'model') await connection.sagemaker.send(new DescribeModelCommand({ ModelName: name }));
    else await connection.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw explainAwsError(error, `describing the ${kind} ${name}`);
  }
}

/** Creates the model and the endpoint config, each unless an interrupted run already did: a run
 * killed between the two leaves the model alone. */
async function createModelAndConfig(request: DeployRequest, name: string): Promise<void> {
  const { connection, config } = request;
  const tags = [{ Key: 'pipeline', Value: config.name }];
  if (!(await exists(connection, 'model', name))) await createModel(request, name, tags);
  if (!(await exists(connection, 'endpoint config', name))) await createEndpointConfig(request, name, tags);
}

export type Tags = { Key: string; Value: string }[];

export async function createModel(request: DeployRequest, name: string, tags: Tags): Promise<void> {
  const { connection, config } = request;
  request.step(`creating the model ${name}`);
  await aws(`creating the model ${name}`, () =>
    connection.sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        PrimaryContainer: {
          Image: request.imageUri,
          ModelDataUrl: request.modelArtifact,
          ...(Object.keys(config.deploy.environment).length > 0
            ? { Environment: config.deploy.environment }
            : {}),
        },
        ExecutionRoleArn: executionRoleOf(config),
        Tags: tags,
      }),
    ),
  );
}

export async function createEndpointConfig(
  request: Pick<DeployRequest, 'connection' | 'config' | 'step'>,
  name: string,
  tags: Tags,
): Promise<void> {
  const { connection, config } = request;
  request.step(`creating the endpoint config ${name}`);
  await aws(`creating the endpoint config ${name}`, () =>
    connection.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [
          {
            VariantName: config.deploy.variantName,
            ModelName: name,
            InitialInstanceCount: config.deploy.instanceCount,
            InstanceType: config.deploy.instanceType as never,
            ...(config.deploy.startupTimeoutSeconds !== undefined
              ? { ContainerStartupHealthCheckTimeoutInSeconds: config.deploy.startupTimeoutSeconds }
              : {}),
          },
        ],
        Tags: tags,
      }),
    ),
  );
}

const SETTLING = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);

/** What waiting on an endpoint needs: the connection, where to say so, and Ctrl-C. */
export type EndpointWatch = Pick<DeployRequest, 'connection' | 'step' | 'signal'>;

/** Polls the endpoint until it is no longer changing (or gone). */
export async function settle(
  request: EndpointWatch,
  name: string,
  doing: string,
): Promise<DescribeEndpointOutput | undefined> {
  const statusWait = await StatusWait.begin(request.connection, 'endpoint', name);
  const started = Date.now();
  for (;;) {
    const endpoint = await describeEndpoint(request.connection, name);
    if (!endpoint || !SETTLING.has(endpoint.EndpointStatus ?? '')) return endpoint;
    request.step(
      `${doing}: ${name} is ${endpoint.EndpointStatus} (${Math.round((Date.now() - started) / 1000)}s)`,
    );
    await statusWait.next(request.signal);
    if (request.signal.aborted) throw new StageError(`stopped waiting for the endpoint ${name}`);
  }
}

/** deploy.strategy gated: the variant a candidate serves beside the champion, with no traffic. */
export const CANDIDATE_VARIANT = 'Candidate';
/** The endpoint config of a deployment as a candidate beside the champion. */
export { candidateConfigOf } from './deployment-names.js';

/**
 * Deletes a model and endpoint config of one name (and its candidate config, if it had one);
 * already gone is fine, other failures are logged.
 */
export async function deleteDeployment(
  connection: AwsConnection,
  name: string,
  log: (line: string) => void,
): Promise<void> {
  await deleteEndpointConfig(connection, candidateConfigOf(name), log);
  await deleteEndpointConfig(connection, name, log);
  await deleteQuietly('model', name, log, () =>
    connection.sagemaker.send(new DeleteModelCommand({ ModelName: name })),
  );
}

/** Deletes an endpoint config; already gone is fine, other failures are logged. */
export const deleteEndpointConfig = (
  connection: AwsConnection,
  name: string,
  log: (line: string) => void,
): Promise<void> =>
  deleteQuietly('endpoint config', name, log, () =>
    connection.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })),
  );

/** A delete that may find nothing there (fine); any other failure is logged, not thrown. */
async function deleteQuietly(
  what: string,
  name: string,
  log: (line: string) => void,
  call: () => Promise<unknown>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isNotFound(error)) log(`could not delete the ${what} ${name}: ${(error as Error).message}`);
  }
}

/** Deletes the endpoint and waits until it is gone; false when there was none. */
export async function deleteEndpoint(
  connection: AwsConnection,
  name: string,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await connection.sagemaker.send(new DeleteEndpointCommand({ EndpointName: name }));
  } catch (error) {
    if (isNotFound(error)) return false;
    throw explainAwsError(error, `deleting the endpoint ${name}`);
  }
  const statusWait = await StatusWait.begin(connection, 'endpoint', name);
  while (!signal.aborted && (await describeEndpoint(connection, name))) await statusWait.next(signal);
  return true;
}

/**
 * deploy.enabled false with invoke.via transform: the model a transform job runs, and no endpoint.
 * Earlier models of the pipeline are deleted, except what an endpoint an earlier deploy made still
 * serves (turning deploy off does not take an endpoint down: `pipeline destroy` does).
 */
export async function deployModelOnly(request: DeployRequest): Promise<{ deploymentName: string }> {
  const { connection, config } = request;
  const ledger: Ledger = await readLedger(request.ledgerFile);
  const name = request.resumeDeployment ?? uniqueResourceName(config.name);
  if (!ledger.deployments.includes(name)) ledger.deployments.push(name);
  await writeLedger(request.ledgerFile, ledger);
  await request.saveDeployment(name);
  if (!(await exists(connection, 'model', name)))
    await createModel(request, name, [{ Key: 'pipeline', Value: config.name }]);
  const serving = ledger.endpointName ? await describeEndpoint(connection, ledger.endpointName) : undefined;
  if (serving) {
    request.log(
      `the endpoint ${ledger.endpointName} an earlier deploy made still serves ${serving.EndpointConfigName}: \`pipeline destroy\` deletes it`,
    );
    return { deploymentName: name };
  }
  for (const old of ledger.deployments.filter((other) => other !== name)) {
    request.step(`deleting the superseded model ${old}`);
    await deleteDeployment(connection, old, request.log);
  }
  await writeLedger(request.ledgerFile, { deployments: [name] });
  return { deploymentName: name };
}

export async function deployEndpoint(request: DeployRequest): Promise<Deployment> {
  const { connection, config } = request;
  const endpointName = endpointNameOf(config);
  const ledger: Ledger = await readLedger(request.ledgerFile);
  const name = request.resumeDeployment ?? uniqueResourceName(config.name);
  if (!ledger.deployments.includes(name)) ledger.deployments.push(name);
  ledger.endpointName = endpointName;
  // Written down before anything is created: a killed run leaves nothing unaccounted for.
  await writeLedger(request.ledgerFile, ledger);
  await request.saveDeployment(name);
  await createModelAndConfig(request, name);

  let endpoint = await settle(request, endpointName, 'waiting for an earlier change');
  if (endpoint?.EndpointStatus === 'Failed' || endpoint?.EndpointStatus === 'OutOfService') {
    request.log(
      `the endpoint ${endpointName} is ${endpoint.EndpointStatus} (${endpoint.FailureReason ?? 'no reason given'}); replacing it`,
    );
    await aws(`deleting the endpoint ${endpointName}`, () =>
      connection.sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName })),
    );
    endpoint = await settle(request, endpointName, 'deleting');
  }
  const tags = [{ Key: 'pipeline', Value: config.name }];
  if (!endpoint) {
    request.step(`creating the endpoint ${endpointName}`);
    await aws(`creating the endpoint ${endpointName}`, () =>
      connection.sagemaker.send(
        new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: name, Tags: tags }),
      ),
    );
    request.log(`creating the endpoint ${endpointName} with ${name}`);
  } else if (endpoint.EndpointConfigName !== name) {
    request.step(`updating the endpoint ${endpointName}`);
    await aws(`updating the endpoint ${endpointName}`, () =>
      connection.sagemaker.send(
        new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: name }),
      ),
    );
    request.log(
      `updating the endpoint ${endpointName} from ${endpoint.EndpointConfigName} to ${name} (it keeps serving)`,
    );
  }

  const done = await settle(request, endpointName, 'deploying');
  if (!done) throw new StageError(`the endpoint ${endpointName} disappeared while it was being deployed`);
  if (done.EndpointStatus !== 'InService' || done.EndpointConfigName !== name) {
    throw new StageError(
      `the endpoint ${endpointName} did not deploy ${name}: ${done.EndpointStatus}: ${done.FailureReason ?? 'no reason given'}`,
      done.EndpointConfigName !== name && done.EndpointStatus === 'InService'
        ? `SageMaker rolled back: the endpoint still serves ${done.EndpointConfigName}.`
        : undefined,
    );
  }

  // Everything this pipeline made for earlier deployments is now superseded.
  const superseded = ledger.deployments.filter((other) => other !== name);
  for (const old of superseded) {
    request.step(`deleting the superseded model and config ${old}`);
    await deleteDeployment(connection, old, request.log);
  }
  if (superseded.length > 0) request.log(`deleted ${superseded.length} superseded model(s) and config(s)`);
  await writeLedger(request.ledgerFile, { endpointName, deployments: [name] });
  return { endpointName, deploymentName: name, endpointArn: done.EndpointArn ?? '' };
}
