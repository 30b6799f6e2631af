// What hosting keeps (models, endpoint configs, endpoints and their deployments, each a record
// of the resource store) and how a request for one is read: the settings the local SageMaker does
// not run are refused, never stored and ignored; a variant runs on instances or serverless.
import type { ServerHandle } from '../../runtimes/container-runtime.js';
import type {
  PendingDeploymentSummary,
  ProductionVariant,
  ProductionVariantServerlessConfig,
  AsyncInferenceConfig as WireAsyncInferenceConfig,
  ContainerDefinition as WireContainerDefinition,
} from '../generated/sagemaker-wire.js';
import { validation } from '../protocol/aws-error.js';
import type { ResourceKind } from '../protocol/resource-store.js';
import type { EndpointStatus } from './endpoint-status.js';

/** A model's container: its image is needed here (the model also allows a package name). */
export type ContainerDefinition = WireContainerDefinition & { Image: string };

export interface Model {
  ModelName: string;
  ModelArn: string;
  ExecutionRoleArn?: string;
  PrimaryContainer: ContainerDefinition;
  CreationTime: number;
}

/** A variant of a model (the model also allows inference components, which this does not run). */
export type Variant = ProductionVariant & { ModelName: string };
export type ServerlessConfig = ProductionVariantServerlessConfig;

/** Where an endpoint's asynchronous invocations go (InvokeEndpointAsync). */
export type AsyncInferenceConfig = WireAsyncInferenceConfig;

export interface EndpointConfig {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: Variant[];
  AsyncInferenceConfig?: AsyncInferenceConfig;
  CreationTime: number;
}

export interface VariantSummary {
  VariantName: string;
  DeployedImages: { SpecifiedImage: string; ResolvedImage: string; ResolutionTime: number }[];
  CurrentWeight: number;
  DesiredWeight: number;
  /** Instance-based variants. */
  CurrentInstanceCount?: number;
  DesiredInstanceCount?: number;
  /** Serverless variants. */
  CurrentServerlessConfig?: ServerlessConfig;
  DesiredServerlessConfig?: ServerlessConfig;
}

/** Where a variant of the current deployment serves (not part of any answer). */
export interface ServingVariant {
  name: string;
  /** Seconds the server may take to answer /ping, from the variant's config. */
  startupSeconds?: number;
  /**
   * Its instances' servers, one per instance (InitialInstanceCount, or DesiredInstanceCount after
   * an update); a replacement takes the place of the server it replaces. Empty for a serverless
   * variant no request has started yet.
   */
  servers: ServerHandle[];
  /** A serverless variant: its container's memory limit and how many requests it takes at once. */
  serverless?: { memoryMb: number; maxConcurrency: number };
  /** The folder holding model/ and serve.log; a replacement server starts from it. */
  dir: string;
  image: string;
  env?: Record<string, string>;
  /**
   * What its servers run: the model (by name and creation: a model deleted and made again under
   * its name is another) on the variant's instance type. A later deployment whose variant runs the
   * same keeps these servers instead of starting its own (absent in records of earlier versions).
   */
  runs?: { model: string; modelCreated: number; instanceType?: string };
}

export interface Endpoint {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: EndpointStatus;
  FailureReason?: string;
  CreationTime: number;
  LastModifiedTime: number;
  ProductionVariants?: VariantSummary[];
  PendingDeploymentSummary?: PendingDeploymentSummary;
  /** Internal: the servers of the deployment in service. */
  deployment?: Deployment;
  /** Internal: the deployment an update replaced, until its servers have stopped. */
  retiring?: Deployment;
}

export interface Deployment {
  dir: string;
  variants: ServingVariant[];
  asyncInference?: AsyncInferenceConfig;
}

/** A variant runs on instances (InstanceType and InitialInstanceCount) or serverless, not both. */
export function checkCapacity(variant: ProductionVariant, index: number): void {
  const instances = variant.InstanceType !== undefined || variant.InitialInstanceCount !== undefined;
  if (variant.ServerlessConfig) {
    if (instances)
      throw validation(
        `ProductionVariants[${index}]: a serverless variant (ServerlessConfig) takes no InstanceType or InitialInstanceCount.`,
      );
    const { MaxConcurrency, ProvisionedConcurrency, MemorySizeInMB } = variant.ServerlessConfig;
    // SageMaker takes memory in 1 GB steps, from 1024 to 6144 MB (the model checks the range).
    if (MemorySizeInMB % 1024 !== 0)
      throw validation(
        `ProductionVariants[${index}]: MemorySizeInMB ${MemorySizeInMB} is not one of 1024, 2048, 3072, 4096, 5120, 6144.`,
      );
    if (ProvisionedConcurrency !== undefined && ProvisionedConcurrency > MaxConcurrency)
      throw validation(
        `ProductionVariants[${index}]: ProvisionedConcurrency (${ProvisionedConcurrency}) cannot exceed MaxConcurrency (${MaxConcurrency}).`,
      );
    return;
  }
  if (variant.InstanceType === undefined || variant.InitialInstanceCount === undefined)
    throw validation(
      `ProductionVariants[${index}]: InstanceType and InitialInstanceCount are required for an instance-based variant.`,
    );
}

/** What an AsyncInferenceConfig must hold (its members are checked by the honoured list). */
export function checkAsyncInference(config: AsyncInferenceConfig, variants: Variant[]): void {
  const output = config.OutputConfig;
  if (!output.S3OutputPath) throw validation('AsyncInferenceConfig.OutputConfig: S3OutputPath is required.');
  for (const path of [output.S3OutputPath, output.S3FailurePath])
    if (path !== undefined && !/^s3:\/\/[^/]+/.test(path))
      throw validation(`AsyncInferenceConfig.OutputConfig: ${path} is not an s3:// URI.`);
  if (variants.some((variant) => variant.ServerlessConfig))
    throw validation('An endpoint configuration with AsyncInferenceConfig cannot have serverless variants.');
}

/** The kinds of record hosting keeps in its resource store. */
export type HostingKind = 'models' | 'endpoint-configs' | 'endpoints';
export const HOSTING_KINDS: Record<HostingKind, ResourceKind> = {
  models: { arn: 'model', missing: 'Could not find model' },
  'endpoint-configs': { arn: 'endpoint-config', missing: 'Could not find endpoint configuration' },
  endpoints: { arn: 'endpoint', missing: 'Could not find endpoint' },
};
