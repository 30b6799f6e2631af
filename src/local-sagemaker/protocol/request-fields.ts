// Reading and checking request fields as SageMaker does: missing required fields, wrong types,
// names that break the service's patterns, each a ValidationException naming the field.
import { validation } from './aws-error.js';

export type Input = Record<string, unknown>;

/** SageMaker's pattern for job, endpoint, endpoint config and variant names (1-63 characters). */
export const RESOURCE_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export function field<T>(
  input: Input,
  name: string,
  type: 'string' | 'object' | 'number' | 'array' | 'boolean',
): T | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const actual = Array.isArray(value) ? 'array' : typeof value;
  if (actual !== type)
    throw validation(
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: must be a ${type}`,
    );
  return value as T;
}

export function required<T>(input: Input, name: string, type: 'string' | 'object' | 'number' | 'array'): T {
  const value = field<T>(input, name, type);
  if (value === undefined) {
    throw validation(
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

/** How SageMaker names a request member in its messages: `ModelName` → `modelName`. */
const memberName = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

/**
 * A job, model, endpoint config, endpoint or variant name, checked as SageMaker checks it on every
 * operation (Describe and Delete too), with its messages: these names become file names here.
 */
export function resourceName(input: Input, name: string): string {
  const value = required<string>(input, name, 'string');
  if (value.length > 63) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${memberName(name)}' failed to satisfy constraint: ` +
        'Member must have length less than or equal to 63',
    );
  }
  if (!RESOURCE_NAME.test(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${memberName(name)}' failed to satisfy constraint: ` +
        `Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
    );
  }
  return value;
}

/** Seconds since the epoch, as AWS JSON protocols send timestamps. */
export const epochSeconds = (date = new Date()): number => date.getTime() / 1000;
