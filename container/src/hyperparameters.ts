// The training job's hyperparameters. SageMaker sends every value as a string (the Python SDK
// writes str(v): 2 → "2", True → "True"); local files sometimes hold numbers. Both are read
// tolerantly, and every bad value is reported at once.

export const INITIALIZERS = [
  'normal',
  'uniform',
  'glorot_normal',
  'glorot_uniform',
  'he_normal',
  'he_uniform',
  'lecun_normal',
  'lecun_uniform',
] as const;
export type Initializer = (typeof INITIALIZERS)[number];

export interface Hyperparameters {
  inputDim: number;
  numClasses: number;
  numHiddenLayers: number;
  hiddenLayersDim: number;
  epochs: number;
  /** The batch size. (The original script passed rows / minibatch_size as the batch size.) */
  minibatchSize: number;
  init: Initializer;
  /** 0: a final line only; 1 or 2: one metrics line per epoch. */
  verbose: number;
  learningRate: number;
  /** Seeds weight initialisation and shuffling, so that a run can be repeated. */
  seed: number;
}

export class HyperparameterError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid hyperparameters: ${problems.join('; ')}`);
    this.name = 'HyperparameterError';
  }
}

const DEFAULTS: Record<string, string> = {
  input_dim: '2',
  num_classes: '2',
  num_hidden_layers: '2',
  hidden_layers_dim: '50',
  epochs: '200',
  minibatch_size: '25',
  init: 'normal',
  verbose: '2',
  learning_rate: '0.01',
  seed: '42',
};

const TUNING_OBJECTIVE = '_tuning_objective_metric';

export function parseHyperparameters(raw: Record<string, unknown>): Hyperparameters {
  const problems: string[] = [];
  const known = new Set(Object.keys(DEFAULTS));
  for (const key of Object.keys(raw)) {
    // SageMaker's own, given to every training job of a tuning job: the metric being tuned.
    if (key === TUNING_OBJECTIVE) continue;
    if (!known.has(key)) problems.push(`unknown hyperparameter "${key}" (known: ${[...known].join(', ')})`);
  }
  const text = (key: string): string => {
    const value = raw[key] ?? DEFAULTS[key];
    return typeof value === 'string' ? value.trim() : String(value);
  };
  const integer = (key: string, min: number, max: number): number => {
    const value = Number(text(key));
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max}, not "${text(key)}"`);
      return min;
    }
    return value;
  };
  const decimal = (key: string, min: number, max: number): number => {
    const value = Number(text(key));
    if (text(key) === '' || !Number.isFinite(value) || value <= min || value > max) {
      problems.push(`${key} must be a number above ${min} and at most ${max}, not "${text(key)}"`);
      return max;
    }
    return value;
  };
  const init = text('init').toLowerCase();
  if (!(INITIALIZERS as readonly string[]).includes(init)) {
    problems.push(`init must be one of ${INITIALIZERS.join(', ')}, not "${text('init')}"`);
  }
  const parsed: Hyperparameters = {
    inputDim: integer('input_dim', 1, 10_000),
    numClasses: integer('num_classes', 2, 10_000),
    numHiddenLayers: integer('num_hidden_layers', 0, 100),
    hiddenLayersDim: integer('hidden_layers_dim', 1, 100_000),
    epochs: integer('epochs', 1, 1_000_000),
    minibatchSize: integer('minibatch_size', 1, 10_000_000),
    init: init as Initializer,
    verbose: integer('verbose', 0, 2),
    learningRate: decimal('learning_rate', 0, 100),
    seed: integer('seed', 0, 2 ** 31 - 1),
  };
  if (problems.length > 0) throw new HyperparameterError(problems);
  return parsed;
}
