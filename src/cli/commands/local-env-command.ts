// `pipeline local env`: the shell exports that point a user's own aws CLI, boto3 or AWS SDK at
// this project's local SageMaker and S3, with the key pair it accepts:
//   eval "$(pipeline local env)"; aws sagemaker list-training-jobs
// It starts the local SageMaker when it is not running, as `pipeline run` would. The exports hold
// the pair's secret: they are for the user's own shell, and are printed only on request. For a
// shared local SageMaker (local.endpoint) they hold its URLs only: its pair is the user's already.
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
  const { ensureLocalSageMakerOf } = await import('../../sagemaker/local-sagemaker-of.js');
  let local: Awaited<ReturnType<typeof ensureLocalSageMakerOf>>;
  try {
    local = await ensureLocalSageMakerOf(config, stateDirOf(loaded.value));
  } catch (error) {
    return {
      reason: 'usage',
      message: `cannot ${config.local.endpoint ? 'use the shared' : 'start the'} local SageMaker: ${(error as Error).message}`,
    };
  }
  // Service-specific endpoints (AWS_ENDPOINT_URL_<SERVICE>) are read by the aws CLI, boto3 and
  // the AWS SDKs alike; requests to other services still go to AWS. A shared local SageMaker's
  // key pair is in the user's environment already: it is not printed again.
  const variables: Record<string, string> = {
    ...(local.shared
      ? {}
      : {
          AWS_ACCESS_KEY_ID: local.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
        }),
    AWS_DEFAULT_REGION: local.region,
    AWS_REGION: local.region,
    AWS_ENDPOINT_URL_SAGEMAKER: local.endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: local.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: local.endpoint,
    AWS_ENDPOINT_URL_ECR: local.endpoint,
    AWS_ENDPOINT_URL_S3: local.s3Endpoint,
  };
  if (options.json) writeJson(io.stdout, variables);
  else for (const [name, value] of Object.entries(variables)) writeLine(io.stdout, `export ${name}=${value}`);
  return undefined;
}
