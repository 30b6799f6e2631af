// `pipeline local env`: the shell exports that point a user's own aws CLI, boto3 or AWS SDK at
// this project's local SageMaker and S3, with the key pair it accepts:
//   eval "$(pipeline local env)"; aws sagemaker list-training-jobs
// It starts the local SageMaker when it is not running, as `pipeline run` would. The exports hold
// the pair's secret: they are for the user's own shell, and are printed only on request.
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { loadForCommand, stateDirOf } from '../open-pipeline.js';

export async function localEnvCommand(options: CommonOptions, io: CliIo): Promise<CliFailure | undefined> {
  const loaded = await loadForCommand(options, io, true);
  if (!loaded.ok) return { reason: 'config', errors: loaded.error };
  const { config } = loaded.value;
  if (config.target !== 'local')
    return {
      reason: 'usage',
      message: `target is ${config.target}: \`pipeline local env\` is for target local (its AWS clients use your usual credentials already)`,
    };
  const { ensureLocalDaemonOf } = await import('../../sagemaker/local-daemon-of.js');
  let daemon: Awaited<ReturnType<typeof ensureLocalDaemonOf>>;
  try {
    daemon = await ensureLocalDaemonOf(config, stateDirOf(loaded.value));
  } catch (error) {
    return { reason: 'usage', message: `cannot start the local SageMaker: ${(error as Error).message}` };
  }
  // Service-specific endpoints (AWS_ENDPOINT_URL_<SERVICE>) are read by the aws CLI, boto3 and
  // the AWS SDKs alike; requests to other services still go to AWS.
  const variables: Record<string, string> = {
    AWS_ACCESS_KEY_ID: daemon.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: daemon.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: daemon.region,
    AWS_REGION: daemon.region,
    AWS_ENDPOINT_URL_SAGEMAKER: daemon.endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: daemon.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: daemon.endpoint,
    AWS_ENDPOINT_URL_ECR: daemon.endpoint,
    AWS_ENDPOINT_URL_S3: daemon.s3Endpoint,
  };
  if (options.json) writeJson(io.stdout, variables);
  else for (const [name, value] of Object.entries(variables)) writeLine(io.stdout, `export ${name}=${value}`);
  return undefined;
}
