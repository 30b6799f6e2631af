// The resolved pipeline.yaml, after interpolation, environment overrides and schema defaults.
// schemas/pipeline.schema.json is the definition; these types mirror it for the code that reads it.

export type Target = 'local' | 'aws';
export type RuntimeChoice = 'auto' | 'docker' | 'process';

export interface AwsSettings {
  region?: string;
  profile?: string;
  roleArn?: string;
  bucket?: string;
  prefix?: string;
}

export interface LocalTargetSettings {
  /** host:port of a local OCI registry behind the local ECR. */
  registry?: string;
}

export interface ImageSettings {
  name: string;
  tag: string;
  repository?: string;
  context: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  platform: string;
}

export interface DataChannel {
  path: string;
  contentType?: string;
  distribution: 'FullyReplicated' | 'ShardedByS3Key';
}

export interface LocalTestSettings {
  context: string;
  hyperparameters: Record<string, HyperparameterValue>;
  sampleData?: string;
  sampleRows: number;
  timeoutSeconds: number;
}

export interface SpotSettings {
  enabled: boolean;
  maxWaitSeconds?: number;
  checkpointS3Uri?: string;
  checkpointLocalPath: string;
}

export interface MetricDefinition {
  name: string;
  regex: string;
}

export type HyperparameterValue = string | number | boolean;

export interface TrainingSettings {
  instanceType: string;
  instanceCount: number;
  volumeSizeGB: number;
  maxRuntimeSeconds: number;
  spot: SpotSettings;
  environment: Record<string, string>;
  hyperparameters: Record<string, HyperparameterValue>;
  metricDefinitions: MetricDefinition[];
}

export interface DeploySettings {
  endpointName?: string;
  instanceType: string;
  instanceCount: number;
  variantName: string;
  environment: Record<string, string>;
}

export interface InvokeSettings {
  data: string;
  contentType: string;
  accept: string;
  batchSize: number;
  concurrency: number;
}

export interface EvaluateSettings {
  groundTruth: string;
  labelFormat: 'one-hot' | 'index' | 'name';
  classNames?: string[];
  gates: string[];
}

export interface PipelineConfig {
  name: string;
  target: Target;
  runtime: RuntimeChoice;
  aws: AwsSettings;
  local: LocalTargetSettings;
  image: ImageSettings;
  data: Record<string, DataChannel>;
  localTest: LocalTestSettings;
  training: TrainingSettings;
  deploy: DeploySettings;
  invoke?: InvokeSettings;
  evaluate?: EvaluateSettings;
  environments: Record<string, Record<string, unknown>>;
}
