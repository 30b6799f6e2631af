// Turns what an AWS client throws into one message a user can act on, with AWS's own reason.
// Credential and permission problems get a hint each; anything else shows the remote message.
import { StageError } from '../shared/errors.js';

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const HINTS: Record<string, string> = {
  CredentialsProviderError:
    'No AWS credentials were found. Set AWS_PROFILE (or pass --profile), run `aws configure` or `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
  ExpiredToken:
    'The AWS session token has expired. Refresh it (`aws sso login`, or new temporary credentials) and run again: `pipeline run` resumes.',
  ExpiredTokenException:
    'The AWS session token has expired. Refresh it (`aws sso login`, or new temporary credentials) and run again: `pipeline run` resumes.',
  UnrecognizedClientException: 'AWS does not recognise the access key: check the credentials in use.',
  InvalidClientTokenId: 'AWS does not recognise the access key: check the credentials in use.',
  InvalidSignatureException: 'The secret access key does not match the access key id.',
  SignatureDoesNotMatch: 'The secret access key does not match the access key id.',
  AccessDenied: 'The credentials in use lack a permission this step needs (the message names it).',
  AccessDeniedException: 'The credentials in use lack a permission this step needs (the message names it).',
  NoSuchBucket: 'Create the bucket, or set aws.bucket to one that exists in this account and region.',
  ResourceLimitExceeded: 'An account quota is reached: ask for an increase, or use another instance type.',
};

export function awsErrorName(error: unknown): string {
  const e = error as SdkError;
  return e.name ?? e.Code ?? 'Error';
}

/** A StageError for a failed AWS call: what we were doing, AWS's reason, and a hint. */
export function explainAwsError(error: unknown, doing: string): StageError {
  if (error instanceof StageError) return error;
  const refused = connectionRefused(error);
  if (refused) return refused(doing);
  const e = error as SdkError;
  const name = awsErrorName(error);
  const remote = (e.message ?? String(error)).trim();
  // A client made for `--profile` or aws.profile marks its errors with it (aws-connection.ts).
  const profile = (error as { profile?: string }).profile ?? process.env.AWS_PROFILE;
  const hint =
    (name === 'CredentialsProviderError' && profile
      ? `No AWS credentials were found for the profile "${profile}": check that ~/.aws/config or ~/.aws/credentials defines it, or run \`aws sso login --profile ${profile}\`.`
      : HINTS[name]) ??
    (/role/i.test(remote) && /assume|not.*(exist|found)|valid/i.test(remote)
      ? 'Check aws.roleArn: the role must exist and trust sagemaker.amazonaws.com.'
      : undefined);
  const request = e.$metadata?.requestId ? ` (request id ${e.$metadata.requestId})` : '';
  return new StageError(
    `${doing} failed: ${name}: ${remote}`,
    hint ? `${hint}${request}` : request.trim() || undefined,
    { cause: error },
  );
}

/**
 * Nothing listens where the client sends its calls. On loopback that is the local SageMaker (or
 * its S3) having stopped: say so, where its log is, and that `pipeline run` resumes.
 */
function connectionRefused(error: unknown): ((doing: string) => StageError) | undefined {
  const { code, address, port, sharedLocalSageMaker } = (error ?? {}) as {
    code?: string;
    address?: string;
    port?: number;
    sharedLocalSageMaker?: string;
  };
  if (code !== 'ECONNREFUSED') return undefined;
  const where = address ? `${address}:${port ?? ''}` : 'the service';
  if (sharedLocalSageMaker)
    return (doing) =>
      new StageError(
        `${doing} failed: the shared local SageMaker at ${sharedLocalSageMaker} stopped answering (nothing listens on ${where})`,
        'It is the team’s `pipeline local serve` (local.endpoint): start it again, then run again; the run re-attaches to what it had started.',
      );
  const local = address === '127.0.0.1' || address === '::1';
  return (doing) =>
    new StageError(
      local
        ? `${doing} failed: the local SageMaker stopped answering (nothing listens on ${where})`
        : `${doing} failed: connection refused by ${where}`,
      local
        ? 'Its log is .pipeline/local/server.log. Run `pipeline run` again: it starts the local SageMaker anew, which finds its jobs and endpoints again, and the run re-attaches to them.'
        : undefined,
    );
}

/** Runs an AWS call, turning its failure into a StageError that says what we were doing. */
export async function aws<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainAwsError(error, doing);
  }
}
