// The values of pipeline.yaml that the train and deploy stages send to SageMaker, checked against
// SageMaker's own service model before anything runs: an instance type SageMaker does not have, a
// hyperparameter value of 3,000 characters or an environment variable named `A=B` would otherwise
// pass `pipeline validate` and fail only at CreateTrainingJob, after the build and the upload.
import { closest } from 'fastest-levenshtein';
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import type { ConfigProblem } from '../engine/stage.js';
import { loadServiceModel, type ServiceModel, scalarConstraints } from '../shared/service-model.js';
import { hyperparameterStrings } from './hyperparameter-strings.js';

const dotted = (path: readonly (string | number)[]): string => path.join('.');

class ValueChecker {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly model: ServiceModel) {}

  /** One value against a named shape of the model ("TrainingInstanceType"). */
  value(path: (string | number)[], shapeName: string, value: unknown, what = dotted(path)): void {
    const shape = this.model.shapes[shapeName];
    if (!shape || value === undefined) return;
    if (shape.enum && typeof value === 'string' && !shape.enum.includes(value)) {
      // The whole enum (271 instance types) would bury the message: name the closest instead.
      const nearest = closest(value, shape.enum);
      this.problems.push({
        path,
        message: `${what}: SageMaker has no ${shapeName} ${JSON.stringify(value)} (one of ${shape.enum.length}, such as ${shape.enum.slice(0, 3).join(', ')})${nearest ? `; did you mean ${nearest}?` : ''}`,
      });
      return;
    }
    for (const broken of scalarConstraints(shape, value))
      this.problems.push({
        path,
        message: `${what}: SageMaker refuses ${JSON.stringify(value)} (${shapeName}): ${broken}`,
      });
  }

  /** A map's size, and each key and value, against the model's map shape ("HyperParameters"). */
  map(path: (string | number)[], shapeName: string, entries: Record<string, unknown>): void {
    const shape = this.model.shapes[shapeName];
    if (!shape) return;
    const count = Object.keys(entries).length;
    if (shape.max !== undefined && count > shape.max)
      this.problems.push({
        path,
        message: `${dotted(path)}: ${count} entries, SageMaker takes at most ${shape.max}`,
      });
    for (const [key, value] of Object.entries(entries)) {
      if (shape.key) {
        const keyShape = this.model.shapes[shape.key.shape];
        for (const broken of keyShape ? scalarConstraints(keyShape, key) : [])
          this.problems.push({
            path: [...path, key],
            message: `${dotted([...path, key])}: SageMaker refuses the name ${JSON.stringify(key)} (${shape.key.shape}): ${broken}`,
          });
      }
      if (shape.value && typeof value === 'string') {
        const valueShape = this.model.shapes[shape.value.shape];
        for (const broken of valueShape ? scalarConstraints(valueShape, value) : [])
          this.problems.push({
            path: [...path, key],
            message: `${dotted([...path, key])}: SageMaker refuses this value (${shape.value.shape}, ${value.length} characters): ${broken}`,
          });
      }
    }
  }
}

/** What SageMaker would refuse in the training job this config makes. */
export async function trainingRequestProblems(config: PipelineConfig): Promise<ConfigProblem[]> {
  const check = new ValueChecker(await loadServiceModel('sagemaker'));
  const { training } = config;
  check.value(['training', 'instanceType'], 'TrainingInstanceType', training.instanceType);
  check.value(['training', 'instanceCount'], 'TrainingInstanceCount', training.instanceCount);
  check.value(['training', 'volumeSizeGB'], 'OptionalVolumeSizeInGB', training.volumeSizeGB);
  check.value(['training', 'maxRuntimeSeconds'], 'MaxRuntimeInSeconds', training.maxRuntimeSeconds);
  check.map(
    ['training', 'hyperparameters'],
    'HyperParameters',
    hyperparameterStrings(training.hyperparameters),
  );
  check.map(['training', 'environment'], 'TrainingEnvironmentMap', training.environment ?? {});
  training.metricDefinitions.forEach((metric, index) => {
    check.value(['training', 'metricDefinitions', index, 'name'], 'MetricName', metric.name);
    check.value(['training', 'metricDefinitions', index, 'regex'], 'MetricRegex', metric.regex);
  });
  if (config.aws.roleArn !== undefined) check.value(['aws', 'roleArn'], 'RoleArn', config.aws.roleArn);
  const { tuning } = config;
  if (tuning) {
    check.value(['tuning', 'maxJobs'], 'MaxNumberOfTrainingJobs', tuning.maxJobs);
    check.value(['tuning', 'maxParallelJobs'], 'MaxParallelTrainingJobs', tuning.maxParallelJobs);
    check.value(['tuning', 'seed'], 'RandomSeed', tuning.seed);
    check.value(
      ['tuning', 'completion', 'maxJobsNotImproving'],
      'MaxNumberOfTrainingJobsNotImproving',
      tuning.completion?.maxJobsNotImproving,
    );
    if (config.target === 'local' && tuning.strategy === 'Hyperband')
      check.problems.push({
        path: ['tuning', 'strategy'],
        message:
          'the Hyperband strategy is not supported by the local SageMaker: use Bayesian, Random or Grid, or target aws',
      });
  }
  return check.problems;
}

/** What SageMaker would refuse in the model, endpoint config and endpoint this config makes. */
export async function deploymentRequestProblems(config: PipelineConfig): Promise<ConfigProblem[]> {
  const check = new ValueChecker(await loadServiceModel('sagemaker'));
  const { deploy } = config;
  check.value(['deploy', 'instanceType'], 'ProductionVariantInstanceType', deploy.instanceType);
  check.value(['deploy', 'instanceCount'], 'InitialTaskCount', deploy.instanceCount);
  check.value(['deploy', 'variantName'], 'VariantName', deploy.variantName);
  if (deploy.endpointName !== undefined)
    check.value(['deploy', 'endpointName'], 'EndpointName', deploy.endpointName);
  check.map(['deploy', 'environment'], 'EnvironmentMap', deploy.environment);
  if (config.aws.roleArn !== undefined) check.value(['aws', 'roleArn'], 'RoleArn', config.aws.roleArn);
  return check.problems;
}
