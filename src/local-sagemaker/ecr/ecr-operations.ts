// The ECR calls the push stage makes (CreateRepository, DescribeRepositories,
// GetAuthorizationToken, DescribeImages), answered by the local server and backed by a local
// OCI registry (Debian's docker-registry) when one is configured: images pushed there are
// described by the digest the registry reports.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../shared/write-file-atomic.js';
import type { Operations as EcrOperations } from '../generated/ecr-wire.js';
import { ACCOUNT } from '../protocol/account.js';
import { AwsError } from '../protocol/aws-error.js';
import type { HonouredMembers } from '../protocol/honoured-members.js';
import { handlers, type Operation } from '../protocol/json-service.js';
import { epochSeconds } from '../protocol/request-fields.js';

/** ECR's ImageTag (1-300 characters) as the registry's manifest API takes it, and ImageDigest. */
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const IMAGE_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

/** The tags a registry holds for a repository (none when it has never been pushed to). */
async function listedTags(host: string, repository: string): Promise<string[]> {
  const response = await fetch(`http://${host}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  if (!response.ok)
    throw new AwsError(
      'ServerException',
      `the local registry answered ${response.status} for ${repository}'s tags`,
      500,
    );
  return ((await response.json()) as { tags?: string[] | null }).tags ?? [];
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

interface Repository {
  repositoryName: string;
  repositoryArn: string;
  registryId: string;
  repositoryUri: string;
  createdAt: number;
  /** Kept for ListTagsForResource; DescribeRepositories does not show them, as in ECR. */
  tags?: { Key: string; Value: string }[];
}

export interface EcrOptions {
  /** repositories.json: the repositories created. */
  file: string;
  region: string;
  /** host:port of the local registry; without one, ECR calls answer that none is configured. */
  registry?: string;
}

export function ecrOperations(options: EcrOptions): Record<string, Operation> {
  const load = async (): Promise<Record<string, Repository>> =>
    JSON.parse(await readFile(options.file, 'utf8').catch(() => '{}')) as Record<string, Repository>;
  const save = async (repositories: Record<string, Repository>) => {
    await mkdir(dirname(options.file), { recursive: true });
    await writeFileAtomic(options.file, `${JSON.stringify(repositories, null, 2)}\n`);
  };
  const registry = (): string => {
    if (!options.registry) {
      throw new AwsError(
        'ServerException',
        'the local SageMaker has no registry configured: start it with a local OCI registry (pipeline local serve --registry HOST:PORT)',
        500,
      );
    }
    return options.registry;
  };
  // Every repositoryName has passed ECR's pattern in its model before a handler runs: it becomes
  // part of a registry URL here.
  const repositoryNamed = async (name: string): Promise<Repository> => {
    const repositories = await load();
    const repository = Object.hasOwn(repositories, name) ? repositories[name] : undefined;
    if (!repository) {
      throw new AwsError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'`,
      );
    }
    return repository;
  };

  return handlers<EcrOperations>(
    {
      CreateRepository: async (input) => {
        const name = input.repositoryName;
        const host = registry();
        const repositories = await load();
        if (Object.hasOwn(repositories, name)) {
          throw new AwsError(
            'RepositoryAlreadyExistsException',
            `The repository with name '${name}' already exists in the registry with id '${ACCOUNT}'`,
          );
        }
        const repository: Repository = {
          repositoryName: name,
          repositoryArn: `arn:aws:ecr:${options.region}:${ACCOUNT}:repository/${name}`,
          registryId: ACCOUNT,
          repositoryUri: `${host}/${name}`,
          createdAt: epochSeconds(),
        };
        repositories[name] = { ...repository, ...(input.tags ? { tags: input.tags } : {}) };
        await save(repositories);
        return { repository };
      },
      DescribeRepositories: async (input) => {
        const names = input.repositoryNames;
        registry();
        const repositories = await load();
        const described = names
          ? await Promise.all(names.map((name) => repositoryNamed(name)))
          : Object.values(repositories);
        return { repositories: described.map(({ tags: _tags, ...repository }) => repository) };
      },
      ListTagsForResource: async (input) => {
        const name = input.resourceArn.replace(/^arn:aws:ecr:[^:]*:[0-9]{12}:repository\//, '');
        return { tags: (await repositoryNamed(name)).tags ?? [] };
      },
      GetAuthorizationToken: async () => {
        const host = registry();
        // The local registry takes no credentials; docker login accepts any against it.
        return {
          authorizationData: [
            {
              authorizationToken: Buffer.from('AWS:local-registry').toString('base64'),
              expiresAt: epochSeconds(new Date(Date.now() + 12 * 3600 * 1000)),
              proxyEndpoint: `http://${host}`,
            },
          ],
        };
      },
      DescribeImages: async (input) => {
        const asked = input.imageIds;
        for (const id of asked ?? []) {
          if (id.imageTag !== undefined && !IMAGE_TAG.test(String(id.imageTag)))
            throw new AwsError(
              'InvalidParameterException',
              `Invalid parameter at 'imageTag': '${id.imageTag}'`,
            );
          if (id.imageDigest !== undefined && !IMAGE_DIGEST.test(String(id.imageDigest)))
            throw new AwsError(
              'InvalidParameterException',
              `Invalid parameter at 'imageDigest' failed to satisfy constraint: 'Invalid digest'`,
            );
        }
        const host = registry();
        const repository = await repositoryNamed(input.repositoryName);
        // Without imageIds ECR describes every image of the repository: each tag the registry has.
        const ids =
          asked ??
          (await listedTags(host, repository.repositoryName)).map(
            (imageTag) => ({ imageTag }) as { imageTag?: string; imageDigest?: string },
          );
        const imageDetails: { imageDigest: string; imageTags: string[]; [key: string]: unknown }[] = [];
        for (const id of ids) {
          const reference = id.imageDigest ?? id.imageTag ?? 'latest';
          const response = await fetch(
            `http://${host}/v2/${repository.repositoryName}/manifests/${reference}`,
            {
              method: 'HEAD',
              headers: { Accept: MANIFEST_TYPES },
            },
          );
          const digest = response.headers.get('docker-content-digest');
          if (response.status !== 200 || !digest) {
            throw new AwsError(
              'ImageNotFoundException',
              `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repository.repositoryName}' in the registry with id '${ACCOUNT}'`,
            );
          }
          // Tags of one image are one image detail, as in ECR.
          const same = imageDetails.find((detail) => detail.imageDigest === digest);
          if (same) {
            if (id.imageTag && !same.imageTags.includes(id.imageTag)) same.imageTags.push(id.imageTag);
            continue;
          }
          imageDetails.push({
            registryId: ACCOUNT,
            repositoryName: repository.repositoryName,
            imageDigest: digest,
            imageTags: id.imageTag ? [id.imageTag] : [],
            imageSizeInBytes: Number(response.headers.get('content-length') ?? 0),
            imageManifestMediaType: response.headers.get('content-type') ?? undefined,
          });
        }
        return { imageDetails };
      },
    },
    ECR_HONOURED,
  );
}

/** What the local ECR honours (protocol/honoured-members.ts): one registry, this account's. */
const ECR_HONOURED: HonouredMembers<EcrOperations> = {
  CreateRepository: ['repositoryName', 'tags', `registryId=${ACCOUNT}`],
  DescribeRepositories: ['repositoryNames', `registryId=${ACCOUNT}`],
  GetAuthorizationToken: [],
  DescribeImages: ['repositoryName', 'imageIds', `registryId=${ACCOUNT}`],
  ListTagsForResource: ['resourceArn'],
};
