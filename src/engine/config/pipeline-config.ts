// The resolved pipeline.yaml, after interpolation, environment overrides and schema defaults.
// schemas/pipeline.schema.json is the one definition: these types are generated from it at build
// time (scripts/compile-schema.mjs), so the code that reads the config and the schema cannot drift.
import type { PipelineConfig, TrainingSettings } from './generated/pipeline-config.js';

export type {
  AwsSettings,
  DataChannel,
  DeploySettings,
  EvaluateSettings,
  ImageSettings,
  InvokeSettings,
  LocalTargetSettings,
  LocalTestSettings,
  PipelineConfig,
  TrainingSettings,
} from './generated/pipeline-config.js';

export type Target = PipelineConfig['target'];
export type RuntimeChoice = PipelineConfig['runtime'];
export type SpotSettings = TrainingSettings['spot'];
export type MetricDefinition = TrainingSettings['metricDefinitions'][number];
export type HyperparameterValue = TrainingSettings['hyperparameters'][string];
