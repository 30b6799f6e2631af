// One classifier for what AWS answers, on the SDK's modelled exception classes and their $fault,
// falling back to messages only where SageMaker needs it: it reports a missing model, endpoint
// config, endpoint or training job as a ValidationException that says so in words.
import { RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { NoSuchBucket, NoSuchKey, NotFound } from '@aws-sdk/client-s3';
import { ResourceNotFound } from '@aws-sdk/client-sagemaker';
import { ModelError } from '@aws-sdk/client-sagemaker-runtime';

interface SdkError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

const SAGEMAKER_MISSING = /not (be )?found|does not exist|Could not find/i;

/** The resource the call names does not exist (any of the services the stages call). */
export function isNotFound(error: unknown): boolean {
  if (
    error instanceof ResourceNotFound ||
    error instanceof RepositoryNotFoundException ||
    error instanceof NoSuchBucket ||
    error instanceof NoSuchKey ||
    error instanceof NotFound
  ) {
    return true;
  }
  const e = (error ?? {}) as SdkError;
  // Exceptions a service sends but does not model (CloudWatch Logs', ECR's image) by name.
  if (/^(ResourceNotFoundException|ImageNotFoundException)$/.test(e.name ?? '')) return true;
  return e.name === 'ValidationException' && SAGEMAKER_MISSING.test(e.message ?? '');
}

/**
 * S3 refused a conditional write: the condition failed (412 PreconditionFailed) or another write
 * of the key was in progress (409 ConditionalRequestConflict).
 */
export function isConditionFailed(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  return (
    ['PreconditionFailed', 'ConditionalRequestConflict'].includes(e.name ?? '') ||
    e.$metadata?.httpStatusCode === 412 ||
    e.$metadata?.httpStatusCode === 409
  );
}

/** The model's own container refused the request (its 4xx), which no retry would change. */
export const isModelError = (error: unknown): error is ModelError => error instanceof ModelError;
