// Hosting's API: CreateModel, CreateEndpointConfig, CreateEndpoint, UpdateEndpoint,
// UpdateEndpointWeightsAndCapacities, DeleteEndpoint and the Describe, List and Delete calls of
// each kind, typed by their wire types. It reads and keeps the records; bringing deployments up
// and down is the Hosting engine's (hosting.ts).

import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type {
  CreateEndpointConfigInput,
  CreateEndpointConfigOutput,
  CreateEndpointInput,
  CreateEndpointOutput,
  CreateModelInput,
  CreateModelOutput,
  DeleteEndpointInput,
  Operations as SageMakerOperations,
  UpdateEndpointInput,
  UpdateEndpointOutput,
  UpdateEndpointWeightsAndCapacitiesInput,
  UpdateEndpointWeightsAndCapacitiesOutput,
} from '../generated/sagemaker-wire.js';
import { validation } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { listPage } from '../protocol/list-page.js';
import { epochSeconds } from '../protocol/request-fields.js';
import type { ResourceStore } from '../protocol/resource-store.js';
import { hasObjectsUnder, parseS3Uri } from '../s3/s3-transfer.js';
import { moveEndpoint } from './endpoint-status.js';
import { checkFileImage, type FileImagePolicy } from './file-images.js';
import {
  checkAsyncInference,
  checkCapacity,
  type Deployment,
  type Endpoint,
  type EndpointConfig,
  type HostingKind,
  type Model,
  type Variant,
} from './hosting-resources.js';
import type { TagStore } from './tags.js';

/** What the API asks of the hosting engine (hosting.ts): deployments brought up and down. */
export interface DeploymentEngine {
  /** Runs `work` after the answer, followed until it ends. */
  background(work: Promise<void>): void;
  deploy(name: string, config: EndpointConfig, mode: 'create' | 'update'): Promise<void>;
  /** Stops a deployment's servers and removes its folders, but for what `successor` serves from. */
  stopDeployment(deployment: Deployment | undefined, successor?: Deployment): Promise<void>;
  /** Brings a variant to `count` instances; the reason it could not, if it could not. */
  scale(name: string, variant: string, count: number): Promise<string | undefined>;
}

const LISTED = [
  'SortBy',
  'SortOrder',
  'NextToken',
  'MaxResults',
  'NameContains',
  'CreationTimeBefore',
  'CreationTimeAfter',
] as const;

/**
 * What the hosting operations honour (protocol/honoured-members.ts): a model is one container
 * with its model data and environment; a variant one server (or serverless); an update blue/green.
 */
const HOSTING_HONOURED: HonouredMembers<SageMakerOperations> = {
  CreateModel: [
    'ModelName',
    'ExecutionRoleArn',
    'Tags',
    'PrimaryContainer.Image',
    'PrimaryContainer.ModelDataUrl',
    'PrimaryContainer.ModelDataSource.S3DataSource.S3Uri',
    'PrimaryContainer.ModelDataSource.S3DataSource.S3DataType=S3Prefix',
    'PrimaryContainer.ModelDataSource.S3DataSource.CompressionType=None',
    'PrimaryContainer.Environment',
    'PrimaryContainer.Mode=SingleModel',
    'EnableNetworkIsolation=false',
  ],
  DescribeModel: ['ModelName'],
  DeleteModel: ['ModelName'],
  ListModels: LISTED,
  CreateEndpointConfig: [
    'EndpointConfigName',
    'Tags',
    'ProductionVariants[].VariantName',
    'ProductionVariants[].ModelName',
    'ProductionVariants[].InstanceType',
    'ProductionVariants[].InitialInstanceCount',
    'ProductionVariants[].InitialVariantWeight',
    'ProductionVariants[].ContainerStartupHealthCheckTimeoutInSeconds',
    'ProductionVariants[].ServerlessConfig.MemorySizeInMB',
    'ProductionVariants[].ServerlessConfig.MaxConcurrency',
    'ProductionVariants[].ServerlessConfig.ProvisionedConcurrency',
    'AsyncInferenceConfig.OutputConfig.S3OutputPath',
    'AsyncInferenceConfig.OutputConfig.S3FailurePath',
    'AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance',
  ],
  DescribeEndpointConfig: ['EndpointConfigName'],
  DeleteEndpointConfig: ['EndpointConfigName'],
  ListEndpointConfigs: LISTED,
  CreateEndpoint: ['EndpointName', 'EndpointConfigName', 'Tags'],
  DescribeEndpoint: ['EndpointName'],
  UpdateEndpoint: ['EndpointName', 'EndpointConfigName'],
  UpdateEndpointWeightsAndCapacities: [
    'EndpointName',
    'DesiredWeightsAndCapacities[].VariantName',
    'DesiredWeightsAndCapacities[].DesiredWeight',
    'DesiredWeightsAndCapacities[].DesiredInstanceCount',
  ],
  DeleteEndpoint: ['EndpointName'],
  ListEndpoints: [...LISTED, 'LastModifiedTimeBefore', 'LastModifiedTimeAfter', 'StatusEquals'],
};

export class HostingApi {
  private readonly tags: TagStore;

  constructor(
    private readonly engine: DeploymentEngine,
    private readonly store: ResourceStore<HostingKind>,
    private readonly options: { tags: TagStore; fileImages?: FileImagePolicy; s3: S3Client },
  ) {
    this.tags = options.tags;
  }

  operations(): Record<string, Operation> {
    return handlers<SageMakerOperations>(
      {
        CreateModel: (input) => this.store.exclusively('models', () => this.createModel(input)),
        DescribeModel: async (input) => this.store.mustLoad<Model>('models', input.ModelName),
        DeleteModel: (input) => this.remove('models', input.ModelName),
        ListModels: async (input) => {
          const { page, NextToken } = listPage(
            await this.store.loadAll<Model>('models'),
            input,
            (model) => ({ name: model.ModelName, creationTime: model.CreationTime }),
            { operation: 'ListModels' },
          );
          return {
            Models: page.map(({ ModelName, ModelArn, CreationTime }) => ({
              ModelName,
              ModelArn,
              CreationTime,
            })),
            ...(NextToken ? { NextToken } : {}),
          };
        },
        CreateEndpointConfig: (input) =>
          this.store.exclusively('endpoint-configs', () => this.createEndpointConfig(input)),
        DescribeEndpointConfig: async (input) =>
          this.store.mustLoad<EndpointConfig>('endpoint-configs', input.EndpointConfigName),
        DeleteEndpointConfig: (input) => this.remove('endpoint-configs', input.EndpointConfigName),
        ListEndpointConfigs: async (input) => {
          const { page, NextToken } = listPage(
            await this.store.loadAll<EndpointConfig>('endpoint-configs'),
            input,
            (config) => ({ name: config.EndpointConfigName, creationTime: config.CreationTime }),
            { operation: 'ListEndpointConfigs' },
          );
          return {
            EndpointConfigs: page.map(({ EndpointConfigName, EndpointConfigArn, CreationTime }) => ({
              EndpointConfigName,
              EndpointConfigArn,
              CreationTime,
            })),
            ...(NextToken ? { NextToken } : {}),
          };
        },
        CreateEndpoint: (input) => this.store.exclusively('endpoints', () => this.createEndpoint(input)),
        DescribeEndpoint: async (input) => {
          const {
            deployment: _internal,
            retiring: _retiring,
            ...visible
          } = await this.store.mustLoad<Endpoint>('endpoints', input.EndpointName);
          return visible;
        },
        UpdateEndpoint: (input) => this.updateEndpoint(input),
        UpdateEndpointWeightsAndCapacities: (input) => this.updateWeights(input),
        DeleteEndpoint: (input) => this.deleteEndpoint(input),
        ListEndpoints: async (input) => {
          const { page, NextToken } = listPage(
            await this.store.loadAll<Endpoint>('endpoints'),
            input,
            (endpoint) => ({
              name: endpoint.EndpointName,
              creationTime: endpoint.CreationTime,
              lastModifiedTime: endpoint.LastModifiedTime,
              status: endpoint.EndpointStatus,
            }),
            { operation: 'ListEndpoints' },
          );
          return {
            Endpoints: page.map(
              ({ EndpointName, EndpointArn, EndpointStatus, CreationTime, LastModifiedTime }) => ({
                EndpointName,
                EndpointArn,
                EndpointStatus,
                CreationTime,
                LastModifiedTime,
              }),
            ),
            ...(NextToken ? { NextToken } : {}),
          };
        },
      },
      HOSTING_HONOURED,
    );
  }

  private async remove(kind: 'models' | 'endpoint-configs', name: string): Promise<Record<string, never>> {
    await this.store.mustLoad(kind, name);
    await this.store.erase(kind, name);
    return {};
  }

  private async createModel(input: CreateModelInput): Promise<CreateModelOutput> {
    const name = input.ModelName;
    const container = input.PrimaryContainer;
    // The model's input shape allows either PrimaryContainer or Containers; this one runs one.
    if (!container?.Image)
      throw validation(
        "1 validation error detected: Value null at 'primaryContainer.image' failed to satisfy constraint: Member must not be null",
      );
    const image = container.Image;
    checkFileImage(image, this.options.fileImages ?? { roots: [] }, 'PrimaryContainer.Image');
    if (container.ModelDataUrl) await this.requireModelData(container.ModelDataUrl);
    const uncompressed = container.ModelDataSource?.S3DataSource?.S3Uri;
    if (uncompressed !== undefined) {
      if (container.ModelDataUrl)
        throw validation('PrimaryContainer takes ModelDataUrl or ModelDataSource, not both.');
      if (!uncompressed.endsWith('/'))
        throw validation(
          `ModelDataSource.S3DataSource.S3Uri ${uncompressed} must end with a slash: an S3Prefix names a folder of model files.`,
        );
      await this.requireModelData(uncompressed, { prefix: true });
    }
    await this.store.mustNotExist('models', name, 'model');
    const model: Model = {
      ModelName: name,
      ModelArn: this.store.arn('models', name),
      ...(input.ExecutionRoleArn !== undefined ? { ExecutionRoleArn: input.ExecutionRoleArn } : {}),
      PrimaryContainer: { ...container, Image: image },
      CreationTime: epochSeconds(),
    };
    await this.store.save('models', name, model);
    if (input.Tags) await this.tags.add(model.ModelArn, input.Tags);
    return { ModelArn: model.ModelArn };
  }

  /** SageMaker refuses a model whose model data is not there when the model is created. */
  private async requireModelData(url: string, { prefix = false } = {}): Promise<void> {
    const { bucket, key } = parseS3Uri(url);
    const found = prefix
      ? await hasObjectsUnder(this.options.s3, url)
      : await this.options.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
          () => true,
          (error: { name?: string }) => {
            if (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.name === 'NoSuchBucket')
              return false;
            throw error;
          },
        );
    if (!found) throw validation(`Could not find model data at ${url}.`);
  }

  private async createEndpointConfig(input: CreateEndpointConfigInput): Promise<CreateEndpointConfigOutput> {
    const name = input.EndpointConfigName;
    const variants: Variant[] = [];
    const seen = new Set<string>();
    for (const [index, variant] of input.ProductionVariants.entries()) {
      const variantName = variant.VariantName;
      if (seen.has(variantName.toLowerCase()))
        throw validation(
          `The variant name "${variantName}" appears more than once: each production variant needs its own name.`,
        );
      seen.add(variantName.toLowerCase());
      const model = variant.ModelName;
      if (model === undefined)
        throw validation(
          `1 validation error detected: Value null at 'productionVariants.${index + 1}.member.modelName' failed to satisfy constraint: Member must not be null (the local SageMaker serves models, not inference components)`,
        );
      if (!(await this.store.load('models', model)))
        throw validation(`Could not find model "${this.store.arn('models', model)}".`);
      variants.push({ ...variant, ModelName: model });
      checkCapacity(variant, index);
    }
    // With every weight 0 no request could be routed: SageMaker needs some traffic to go somewhere.
    if (variants.every((variant) => (variant.InitialVariantWeight ?? 1) <= 0))
      throw validation('At least one production variant must have an InitialVariantWeight greater than 0.');
    const asyncInference = input.AsyncInferenceConfig;
    if (asyncInference) checkAsyncInference(asyncInference, variants);
    await this.store.mustNotExist('endpoint-configs', name, 'endpoint configuration');
    const config: EndpointConfig = {
      EndpointConfigName: name,
      EndpointConfigArn: this.store.arn('endpoint-configs', name),
      ProductionVariants: variants.map((variant) => ({ InitialVariantWeight: 1, ...variant })),
      ...(asyncInference ? { AsyncInferenceConfig: asyncInference } : {}),
      CreationTime: epochSeconds(),
    };
    await this.store.save('endpoint-configs', name, config);
    if (input.Tags) await this.tags.add(config.EndpointConfigArn, input.Tags);
    return { EndpointConfigArn: config.EndpointConfigArn };
  }

  private async createEndpoint(input: CreateEndpointInput): Promise<CreateEndpointOutput> {
    const name = input.EndpointName;
    const configName = input.EndpointConfigName;
    const config = await this.store.mustLoad<EndpointConfig>('endpoint-configs', configName);
    await this.store.mustNotExist('endpoints', name, 'endpoint');
    const now = epochSeconds();
    const endpoint: Endpoint = {
      EndpointName: name,
      EndpointArn: this.store.arn('endpoints', name),
      EndpointConfigName: configName,
      EndpointStatus: 'Creating',
      CreationTime: now,
      LastModifiedTime: now,
    };
    await this.store.save('endpoints', name, endpoint);
    if (input.Tags) await this.tags.add(endpoint.EndpointArn, input.Tags);
    this.engine.background(this.engine.deploy(name, config, 'create'));
    return { EndpointArn: endpoint.EndpointArn };
  }

  private async updateEndpoint(input: UpdateEndpointInput): Promise<UpdateEndpointOutput> {
    const name = input.EndpointName;
    await this.store.mustLoad<Endpoint>('endpoints', name);
    const configName = input.EndpointConfigName;
    const config = await this.store.mustLoad<EndpointConfig>('endpoint-configs', configName);
    const endpoint = await this.store.mustUpdate<Endpoint>('endpoints', name, (endpoint) => {
      if (endpoint.EndpointStatus === 'Failed')
        throw validation(
          `Cannot update endpoint "${endpoint.EndpointArn}" because it is in Failed status: only DeleteEndpoint is allowed. Delete it and create it again.`,
        );
      if (endpoint.EndpointStatus !== 'InService')
        throw validation(`Cannot update in-progress endpoint "${endpoint.EndpointArn}".`);
      moveEndpoint(endpoint, 'Updating');
      endpoint.PendingDeploymentSummary = {
        EndpointConfigName: configName,
        StartTime: epochSeconds(),
        ProductionVariants: config.ProductionVariants.map((variant) => ({
          VariantName: variant.VariantName,
          DesiredWeight: variant.InitialVariantWeight ?? 1,
          ...(variant.ServerlessConfig
            ? { DesiredServerlessConfig: variant.ServerlessConfig }
            : {
                DesiredInstanceCount: variant.InitialInstanceCount ?? 1,
                ...(variant.InstanceType ? { InstanceType: variant.InstanceType } : {}),
              }),
        })),
      };
      return endpoint;
    });
    this.engine.background(this.engine.deploy(name, config, 'update'));
    return { EndpointArn: endpoint.EndpointArn };
  }

  private async updateWeights(
    input: UpdateEndpointWeightsAndCapacitiesInput,
  ): Promise<UpdateEndpointWeightsAndCapacitiesOutput> {
    const name = input.EndpointName;
    const endpoint = await this.store.mustUpdate<Endpoint>('endpoints', name, (endpoint) => {
      if (endpoint.EndpointStatus !== 'InService')
        throw validation(`Cannot update in-progress endpoint "${endpoint.EndpointArn}".`);
      const named = input.DesiredWeightsAndCapacities.map((change) => change.VariantName);
      const twice = named.find((name, index) => named.indexOf(name) !== index);
      if (twice !== undefined)
        throw validation(`The variant "${twice}" appears more than once in DesiredWeightsAndCapacities.`);
      for (const change of input.DesiredWeightsAndCapacities) {
        const variant = endpoint.ProductionVariants?.find((v) => v.VariantName === change.VariantName);
        if (!variant)
          throw validation(
            `The variant "${change.VariantName}" does not exist in endpoint "${endpoint.EndpointArn}".`,
          );
        if (change.DesiredInstanceCount !== undefined) {
          if (variant.CurrentServerlessConfig)
            throw validation(
              `The variant "${change.VariantName}" is serverless: it has no instance count to change.`,
            );
          if (change.DesiredInstanceCount < 1)
            throw validation(
              `DesiredInstanceCount 0 for the variant "${change.VariantName}" is not supported by the local SageMaker: scaling to zero needs ManagedInstanceScaling, which it does not run.`,
            );
          variant.DesiredInstanceCount = change.DesiredInstanceCount;
        }
        if (change.DesiredWeight !== undefined) variant.DesiredWeight = change.DesiredWeight;
      }
      if ((endpoint.ProductionVariants ?? []).every((variant) => variant.DesiredWeight <= 0))
        throw validation('At least one variant of an endpoint must have a weight greater than 0.');
      // As on SageMaker: Updating until the new weights take the traffic, then InService.
      moveEndpoint(endpoint, 'Updating');
      return endpoint;
    });
    this.engine.background(
      (async () => {
        // Instances added or removed first; the endpoint is InService again once they serve.
        const failures: string[] = [];
        for (const change of input.DesiredWeightsAndCapacities) {
          if (change.DesiredInstanceCount === undefined) continue;
          const failure = await this.engine.scale(name, change.VariantName, change.DesiredInstanceCount);
          if (failure) failures.push(`variant ${change.VariantName}: ${failure}`);
        }
        await this.store.update<Endpoint>('endpoints', name, (latest) => {
          if (latest.EndpointStatus !== 'Updating' || latest.PendingDeploymentSummary) return undefined;
          for (const variant of latest.ProductionVariants ?? []) {
            variant.CurrentWeight = variant.DesiredWeight;
            const serving = latest.deployment?.variants.find((v) => v.name === variant.VariantName);
            if (variant.CurrentInstanceCount !== undefined && serving)
              variant.CurrentInstanceCount = serving.servers.length;
          }
          moveEndpoint(
            latest,
            'InService',
            failures.length > 0
              ? `The instance count could not be changed: ${failures.join('; ')}`.slice(0, 1024)
              : undefined,
          );
          return latest;
        });
      })(),
    );
    return { EndpointArn: endpoint.EndpointArn };
  }

  private async deleteEndpoint(input: DeleteEndpointInput): Promise<Record<string, never>> {
    const name = input.EndpointName;
    const endpoint = await this.store.mustLoad<Endpoint>('endpoints', name);
    await this.store.erase('endpoints', name);
    // A deployment being retired may share servers with the one in service (kept by the update):
    // those are the one in service's to stop.
    await Promise.all([
      this.engine.stopDeployment(endpoint.deployment),
      this.engine.stopDeployment(endpoint.retiring, endpoint.deployment),
    ]);
    return {};
  }
}
