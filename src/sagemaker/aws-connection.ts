// The AWS clients every cloud stage uses, for either target: the real AWS (standard credential
// chain, --profile, region from config or environment) or the local SageMaker and S3, which the
// CLI runs in the background. The stages themselves cannot tell the difference.
import type { MiddlewareStack } from '@smithy/types';
import '../shared/sdk-defaults.js';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { PipelineConfig, Target } from '../engine/config/pipeline-config.js';
import { StageError } from '../shared/errors.js';
import type { AccessKey } from '../shared/sigv4.js';
import { ensureLocalSageMakerOf, SharedLocalSageMakerError } from './local-sagemaker-of.js';
import { localStatusChanges, type StatusChanges } from './local-status-changes.js';
import { RETRY_SETTINGS } from './retry-policy.js';
import { createS3Client } from './s3-client.js';

export interface AwsConnection {
  target: Target;
  region: string;
  sagemaker: SageMakerClient;
  runtime: SageMakerRuntimeClient;
  s3: S3Client;
  logs: CloudWatchLogsClient;
  ecr: ECRClient;
  /** Target local: the registry behind the local ECR, when one is configured. */
  localRegistry?: string;
  /** How often to ask about a job or an endpoint: quickly at home, gently on AWS's quotas. */
  poll: { firstMs: number; maxMs: number };
  /** Target local: the status changes its local SageMaker tells of, which cut a poll's wait short. */
  statusChanges?: StatusChanges;
}

interface ClientSettings {
  region: string;
  endpoint?: string;
  credentials?: AccessKey;
  profile?: string;
}

/** What every AWS client of the tool is made with: one retry policy, the region, who calls. */
export const clientBase = (
  settings: Omit<ClientSettings, 'endpoint' | 'region'> & { region: string | undefined },
) => ({
  ...RETRY_SETTINGS,
  region: settings.region,
  ...(settings.credentials ? { credentials: settings.credentials } : {}),
  ...(settings.profile ? { profile: settings.profile } : {}),
});

function clients(settings: ClientSettings, s3Endpoint?: string) {
  const base = clientBase(settings);
  const at = settings.endpoint ? { endpoint: settings.endpoint } : {};
  const made = {
    sagemaker: new SageMakerClient({ ...base, ...at }),
    runtime: new SageMakerRuntimeClient({ ...base, ...at }),
    logs: new CloudWatchLogsClient({ ...base, ...at }),
    ecr: new ECRClient({ ...base, ...at }),
    s3: createS3Client({ ...base, ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}) }),
  };
  const { profile } = settings;
  // A credentials failure names the profile: the SDK's own message does not.
  if (profile) markAllErrors(made, { profile });
  return made;
}

function markAllErrors(
  made: Omit<AwsConnection, 'target' | 'region' | 'localRegistry' | 'poll'>,
  marks: Record<string, string>,
): void {
  markErrors(made.sagemaker, marks);
  markErrors(made.runtime, marks);
  markErrors(made.logs, marks);
  markErrors(made.ecr, marks);
  markErrors(made.s3, marks);
}

/**
 * A client whose errors carry `marks` (the profile it was made for, the shared local SageMaker it
 * talks to), so that explainAwsError can say what the SDK's own message does not.
 */
function markErrors<Input extends object, Output extends object>(
  client: { middlewareStack: MiddlewareStack<Input, Output> },
  marks: Record<string, string>,
): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error && typeof error === 'object') Object.assign(error, marks);
        throw error;
      }
    },
    { step: 'initialize', name: `markErrors:${Object.keys(marks).join(',')}` },
  );
}

export function awsRegion(config: PipelineConfig): string | undefined {
  return config.aws.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
}

const connections = new Map<string, Promise<AwsConnection>>();
const connectionKey = (config: PipelineConfig, stateDir: string): string =>
  `${stateDir}\0${config.target}\0${JSON.stringify(config.local)}\0${config.aws.profile ?? ''}`;

/** One connection per state folder and target for the whole CLI run, shared by the stages. */
export function connect(config: PipelineConfig, stateDir: string): Promise<AwsConnection> {
  const key = connectionKey(config, stateDir);
  let connection = connections.get(key);
  if (!connection) {
    connection = open(config, stateDir);
    connections.set(key, connection);
    connection.catch(() => connections.delete(key));
  }
  return connection;
}

async function open(config: PipelineConfig, stateDir: string): Promise<AwsConnection> {
  if (config.target === 'local') {
    const facts = await ensureLocalSageMakerOf(config, stateDir).catch((error: Error) => {
      throw error instanceof SharedLocalSageMakerError
        ? new StageError('cannot use the shared local SageMaker', error.message)
        : new StageError('cannot start the local SageMaker', error.message);
    });
    const region = facts.region;
    const made = clients(
      { region, endpoint: facts.endpoint, credentials: facts.credentials },
      facts.s3Endpoint,
    );
    // A shared server is the team's: an error says so, and never to start it anew from here.
    if (facts.shared) markAllErrors(made, { sharedLocalSageMaker: facts.endpoint });
    return {
      target: 'local',
      region,
      ...made,
      ...(facts.registry ? { localRegistry: facts.registry } : {}),
      // A server on this machine: polling it often costs nothing and shows a change at once
      // (from 200 ms growing to 1 s, an endpoint ready in 2 s was seen up to a second late).
      poll: { firstMs: 100, maxMs: 250 },
      statusChanges: localStatusChanges(facts),
    };
  }
  const region = awsRegion(config);
  if (!region) {
    throw new StageError('no AWS region: set aws.region in pipeline.yaml, or AWS_REGION in the environment');
  }
  return {
    target: 'aws',
    region,
    ...clients({ region, ...(config.aws.profile ? { profile: config.aws.profile } : {}) }),
    poll: { firstMs: 5000, maxMs: 30_000 },
  };
}
