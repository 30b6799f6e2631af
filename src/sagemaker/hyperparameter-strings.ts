// SageMaker passes hyperparameters to the container as strings. The Python SDK sends str(v), so
// a pipeline sends the same: 2 → "2", 0.5 → "0.5", true → "True" (Python's spelling).
import type { HyperparameterValue } from '../engine/config/pipeline-config.js';

export function hyperparameterString(value: HyperparameterValue): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

export function hyperparameterStrings(values: Record<string, HyperparameterValue>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, hyperparameterString(value)]));
}
