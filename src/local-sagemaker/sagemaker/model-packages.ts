// The model registry of the local SageMaker: model package groups and the versioned model packages
// in them (CreateModelPackageGroup, Describe, List, Delete; CreateModelPackage, Describe, List,
// Update, Delete), kept as records in the resource store. A version is the group's next number,
// never reused; a new version waits for approval (PendingManualApproval) unless it says otherwise;
// the SDK's idempotency token (ClientToken) makes a retried create answer the version it made.
// Unversioned packages (ModelPackageName: the AWS Marketplace's kind) and the members that
// validate, scan or describe a model for others (validation and drift specifications, model
// cards, security configurations) are refused by the honoured-members guard.
import type {
  CreateModelPackageGroupInput,
  CreateModelPackageInput,
  DescribeModelPackageGroupOutput,
  DescribeModelPackageOutput,
  ListModelPackageGroupsInput,
  ListModelPackagesInput,
  Operations as SageMakerOperations,
  UpdateModelPackageInput,
} from '../generated/sagemaker-wire.js';
import { ACCOUNT, resourceOfArn } from '../protocol/account.js';
import { AwsError, validation } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { listPage } from '../protocol/list-page.js';
import { epochSeconds } from '../protocol/request-fields.js';
import { ResourceStore } from '../protocol/resource-store.js';
import type { TagStore } from './tags.js';

const REGISTRY_HONOURED: HonouredMembers<SageMakerOperations> = {
  CreateModelPackageGroup: ['ModelPackageGroupName', 'ModelPackageGroupDescription', 'Tags'],
  DescribeModelPackageGroup: ['ModelPackageGroupName'],
  ListModelPackageGroups: [
    'CreationTimeAfter',
    'CreationTimeBefore',
    'MaxResults',
    'NameContains',
    'NextToken',
    'SortBy',
    'SortOrder',
  ],
  DeleteModelPackageGroup: ['ModelPackageGroupName'],
  CreateModelPackage: [
    'ModelPackageGroupName',
    'ModelPackageDescription',
    'InferenceSpecification.Containers[].Image',
    'InferenceSpecification.Containers[].ModelDataUrl',
    'InferenceSpecification.Containers[].Environment',
    'InferenceSpecification.SupportedContentTypes',
    'InferenceSpecification.SupportedResponseMIMETypes',
    'InferenceSpecification.SupportedRealtimeInferenceInstanceTypes',
    'InferenceSpecification.SupportedTransformInstanceTypes',
    'ModelApprovalStatus',
    'ModelMetrics',
    'MetadataProperties',
    'CustomerMetadataProperties',
    'Tags',
    'ClientToken',
  ],
  DescribeModelPackage: ['ModelPackageName'],
  ListModelPackages: [
    'CreationTimeAfter',
    'CreationTimeBefore',
    'MaxResults',
    'NameContains',
    'ModelApprovalStatus',
    'ModelPackageGroupName',
    'ModelPackageType',
    'NextToken',
    'SortBy',
    'SortOrder',
  ],
  UpdateModelPackage: [
    'ModelPackageArn',
    'ModelApprovalStatus',
    'ApprovalDescription',
    'CustomerMetadataProperties',
    'CustomerMetadataPropertiesToRemove',
  ],
  DeleteModelPackage: ['ModelPackageName'],
};

type Group = DescribeModelPackageGroupOutput & {
  CreationTime: number;
  /** The last version made in it: versions are never reused, even after a delete. */
  LatestVersion: number;
};
type Package = DescribeModelPackageOutput & {
  CreationTime: number;
  LastModifiedTime?: number;
  /** The idempotency token of the create that made it. */
  ClientToken?: string;
};

type Kind = 'model-package-groups' | 'model-packages';

export interface ModelPackagesOptions {
  dir: string;
  region: string;
  tags: TagStore;
}

export class ModelPackages {
  private readonly store: ResourceStore<Kind>;

  constructor(private readonly options: ModelPackagesOptions) {
    this.store = new ResourceStore<Kind>(
      options.dir,
      options.region,
      {
        'model-package-groups': { arn: 'model-package-group', missing: 'ModelPackageGroup' },
        'model-packages': { arn: 'model-package', missing: 'ModelPackage' },
      },
      options.tags,
    );
  }

  private groupArn(name: string): string {
    return this.store.arn('model-package-groups', name);
  }

  /** `arn:…:model-package/GROUP/VERSION`, as SageMaker names a versioned package. */
  private packageArn(group: string, version: number): string {
    return `arn:aws:sagemaker:${this.options.region}:${ACCOUNT}:model-package/${group.toLowerCase()}/${version}`;
  }

  /** A group named by its name or its ARN. */
  private groupName(nameOrArn: string): string {
    const resource = resourceOfArn(nameOrArn);
    if (!resource) return nameOrArn;
    if (resource.kind !== 'model-package-group')
      throw validation(`${nameOrArn} is not a model package group's ARN.`);
    return resource.name;
  }

  private async mustLoadGroup(nameOrArn: string): Promise<Group> {
    const name = this.groupName(nameOrArn);
    const group = await this.store.load<Group>('model-package-groups', name);
    if (!group) throw validation(`ModelPackageGroup ${this.groupArn(name)} does not exist.`);
    return group;
  }

  /** A versioned package is named by its ARN (a group's name alone names no version). */
  private packageKey(nameOrArn: string): string {
    const match = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:model-package\/([^/]+)\/([0-9]+)$/.exec(
      nameOrArn,
    );
    if (!match)
      throw validation(
        `ModelPackage ${nameOrArn} does not exist: a versioned model package is named by its ARN.`,
      );
    return `${(match[1] as string).toLowerCase()}.${Number(match[2])}`;
  }

  private async mustLoadPackage(nameOrArn: string): Promise<Package> {
    const found = await this.store.load<Package>('model-packages', this.packageKey(nameOrArn));
    if (!found) throw validation(`ModelPackage ${nameOrArn} does not exist.`);
    return found;
  }

  /** Whether the ARN is a group's or a package's of this registry (for the tags). */
  async arnExists(arn: string): Promise<boolean> {
    const resource = resourceOfArn(arn);
    if (resource?.kind === 'model-package-group') return this.store.arnExists(arn);
    if (resource?.kind !== 'model-package') return false;
    try {
      return (await this.mustLoadPackage(arn)).ModelPackageArn === arn;
    } catch {
      return false;
    }
  }

  private async createGroup(input: CreateModelPackageGroupInput) {
    const name = input.ModelPackageGroupName;
    if (await this.store.load('model-package-groups', name))
      throw validation(`Model Package Group already exists: ${this.groupArn(name)}`);
    const group: Group = {
      ModelPackageGroupName: name,
      ModelPackageGroupArn: this.groupArn(name),
      ...(input.ModelPackageGroupDescription !== undefined
        ? { ModelPackageGroupDescription: input.ModelPackageGroupDescription }
        : {}),
      CreationTime: epochSeconds(),
      CreatedBy: {},
      ModelPackageGroupStatus: 'Completed',
      LatestVersion: 0,
    };
    await this.store.save('model-package-groups', name, group);
    if (input.Tags) await this.options.tags.add(group.ModelPackageGroupArn, input.Tags);
    return { ModelPackageGroupArn: group.ModelPackageGroupArn };
  }

  private async createPackage(input: CreateModelPackageInput) {
    if (input.ModelPackageGroupName === undefined)
      throw validation(
        'ModelPackageGroupName is required: the local SageMaker keeps versioned model packages',
      );
    if (!input.InferenceSpecification)
      throw validation('InferenceSpecification is required: the image and the model artifact to deploy');
    const group = await this.mustLoadGroup(input.ModelPackageGroupName);
    const name = group.ModelPackageGroupName;
    if (input.ClientToken !== undefined) {
      const made = (await this.store.loadAll<Package>('model-packages')).find(
        (found) => found.ModelPackageGroupName === name && found.ClientToken === input.ClientToken,
      );
      if (made) return { ModelPackageArn: made.ModelPackageArn };
    }
    // The version and the group's counter move together: two creates at once get two numbers.
    const updated = await this.store.mustUpdate<Group>('model-package-groups', name, (current) => ({
      ...current,
      LatestVersion: current.LatestVersion + 1,
    }));
    const version = updated.LatestVersion;
    const now = epochSeconds();
    const made: Package = {
      ModelPackageName: name,
      ModelPackageGroupName: name,
      ModelPackageVersion: version,
      ModelPackageArn: this.packageArn(name, version),
      ...(input.ModelPackageDescription !== undefined
        ? { ModelPackageDescription: input.ModelPackageDescription }
        : {}),
      CreationTime: now,
      InferenceSpecification: input.InferenceSpecification,
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: { ValidationStatuses: [] },
      ModelApprovalStatus: input.ModelApprovalStatus ?? 'PendingManualApproval',
      CreatedBy: {},
      ...(input.MetadataProperties ? { MetadataProperties: input.MetadataProperties } : {}),
      ...(input.ModelMetrics ? { ModelMetrics: input.ModelMetrics } : {}),
      ...(input.CustomerMetadataProperties
        ? { CustomerMetadataProperties: input.CustomerMetadataProperties }
        : {}),
      ...(input.ClientToken !== undefined ? { ClientToken: input.ClientToken } : {}),
    };
    await this.store.save('model-packages', `${name.toLowerCase()}.${version}`, made);
    if (input.Tags) await this.options.tags.add(made.ModelPackageArn, input.Tags);
    return { ModelPackageArn: made.ModelPackageArn };
  }

  private async updatePackage(input: UpdateModelPackageInput) {
    const key = this.packageKey(input.ModelPackageArn);
    await this.mustLoadPackage(input.ModelPackageArn);
    const updated = await this.store.mustUpdate<Package>('model-packages', key, (current) => {
      const metadata = {
        ...(current.CustomerMetadataProperties ?? {}),
        ...(input.CustomerMetadataProperties ?? {}),
      };
      for (const removed of input.CustomerMetadataPropertiesToRemove ?? []) delete metadata[removed];
      const { CustomerMetadataProperties: _old, ...rest } = current;
      return {
        ...rest,
        ...(input.ModelApprovalStatus !== undefined
          ? { ModelApprovalStatus: input.ModelApprovalStatus }
          : {}),
        ...(input.ApprovalDescription !== undefined
          ? { ApprovalDescription: input.ApprovalDescription }
          : {}),
        ...(Object.keys(metadata).length > 0 ? { CustomerMetadataProperties: metadata } : {}),
        LastModifiedTime: epochSeconds(),
        LastModifiedBy: {},
      };
    });
    return { ModelPackageArn: updated.ModelPackageArn };
  }

  operations(): Record<string, Operation> {
    return handlers<SageMakerOperations>(
      {
        CreateModelPackageGroup: (input) =>
          this.store.exclusively('model-package-groups', () => this.createGroup(input)),
        DescribeModelPackageGroup: async (input) => {
          const { LatestVersion: _latest, ...group } = await this.mustLoadGroup(input.ModelPackageGroupName);
          return group;
        },
        ListModelPackageGroups: async (input: ListModelPackageGroupsInput) => {
          const { page, NextToken } = listPage(
            await this.store.loadAll<Group>('model-package-groups'),
            input,
            (group) => ({ name: group.ModelPackageGroupName, creationTime: group.CreationTime }),
            { operation: 'ListModelPackageGroups' },
          );
          return {
            ModelPackageGroupSummaryList: page.map((group) => ({
              ModelPackageGroupName: group.ModelPackageGroupName,
              ModelPackageGroupArn: group.ModelPackageGroupArn,
              ...(group.ModelPackageGroupDescription !== undefined
                ? { ModelPackageGroupDescription: group.ModelPackageGroupDescription }
                : {}),
              CreationTime: group.CreationTime,
              ModelPackageGroupStatus: group.ModelPackageGroupStatus,
            })),
            ...(NextToken ? { NextToken } : {}),
          };
        },
        DeleteModelPackageGroup: async (input) => {
          const group = await this.mustLoadGroup(input.ModelPackageGroupName);
          const versions = (await this.store.loadAll<Package>('model-packages')).filter(
            (found) => found.ModelPackageGroupName === group.ModelPackageGroupName,
          );
          if (versions.length > 0)
            throw new AwsError(
              'ConflictException',
              `Model Package Group ${group.ModelPackageGroupArn} still holds ${versions.length} model package versions: delete them first.`,
            );
          await this.store.erase('model-package-groups', group.ModelPackageGroupName);
          return {};
        },
        CreateModelPackage: (input) => this.createPackage(input),
        DescribeModelPackage: async (input) => {
          const { ClientToken: _token, ...described } = await this.mustLoadPackage(input.ModelPackageName);
          return described;
        },
        ListModelPackages: async (input: ListModelPackagesInput) => {
          // A group given lists its versions; without one, the unversioned packages (none here),
          // unless ModelPackageType says otherwise.
          const type =
            input.ModelPackageType ??
            (input.ModelPackageGroupName !== undefined ? 'Versioned' : 'Unversioned');
          const group =
            input.ModelPackageGroupName !== undefined
              ? this.groupName(input.ModelPackageGroupName)
              : undefined;
          const all = (await this.store.loadAll<Package>('model-packages')).filter(
            (found) =>
              type !== 'Unversioned' &&
              (group === undefined || found.ModelPackageGroupName?.toLowerCase() === group.toLowerCase()) &&
              (input.ModelApprovalStatus === undefined ||
                found.ModelApprovalStatus === input.ModelApprovalStatus),
          );
          const { page, NextToken } = listPage(
            all,
            input,
            (found) => ({ name: found.ModelPackageName, creationTime: found.CreationTime }),
            { operation: 'ListModelPackages' },
          );
          return {
            ModelPackageSummaryList: page.map((found) => ({
              ModelPackageName: found.ModelPackageName,
              ...(found.ModelPackageGroupName !== undefined
                ? { ModelPackageGroupName: found.ModelPackageGroupName }
                : {}),
              ...(found.ModelPackageVersion !== undefined
                ? { ModelPackageVersion: found.ModelPackageVersion }
                : {}),
              ModelPackageArn: found.ModelPackageArn,
              ...(found.ModelPackageDescription !== undefined
                ? { ModelPackageDescription: found.ModelPackageDescription }
                : {}),
              CreationTime: found.CreationTime,
              ModelPackageStatus: found.ModelPackageStatus,
              ...(found.ModelApprovalStatus !== undefined
                ? { ModelApprovalStatus: found.ModelApprovalStatus }
                : {}),
            })),
            ...(NextToken ? { NextToken } : {}),
          };
        },
        UpdateModelPackage: (input) => this.updatePackage(input),
        DeleteModelPackage: async (input) => {
          const found = await this.mustLoadPackage(input.ModelPackageName);
          await this.store.erase('model-packages', this.packageKey(found.ModelPackageArn));
          await this.options.tags.remove(found.ModelPackageArn);
          return {};
        },
      },
      REGISTRY_HONOURED,
    );
  }
}
