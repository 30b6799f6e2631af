// The ECR calls the push stage makes (CreateRepository, DescribeRepositories,
// GetAuthorizationToken, DescribeImages), answered by the local server and backed by a local
// OCI registry (Debian's docker-registry) when one is configured: images pushed there are
// described by the digest the registry reports.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../state/write-file-atomic.js';
import { AwsError } from './aws-error.js';
import type { Operation } from './json-service.js';
import { epochSeconds, field, type Input, required } from './request-fields.js';
import { ACCOUNT } from './training-jobs.js';

export const ECR_PREFIX = 'AmazonEC2ContainerRegistry_V20150921';
const REPOSITORY_NAME = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
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
  const repositoryNamed = async (input: Input): Promise<Repository> => {
    const name = required<string>(input, 'repositoryName', 'string');
    const repository = (await load())[name];
    if (!repository) {
      throw new AwsError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'`,
      );
    }
    return repository;
  };

  return {
    CreateRepository: async (input) => {
      const host = registry();
      const name = required<string>(input, 'repositoryName', 'string');
      if (!REPOSITORY_NAME.test(name)) {
        throw new AwsError(
          'InvalidParameterException',
          `Invalid parameter at 'repositoryName' failed to satisfy constraint: '${name}'`,
        );
      }
      const repositories = await load();
      if (repositories[name]) {
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
      repositories[name] = repository;
      await save(repositories);
      return { repository };
    },
    DescribeRepositories: async (input) => {
      registry();
      const names = field<string[]>(input, 'repositoryNames', 'array');
      const repositories = await load();
      if (!names) return { repositories: Object.values(repositories) };
      return {
        repositories: await Promise.all(names.map((repositoryName) => repositoryNamed({ repositoryName }))),
      };
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
      const host = registry();
      const repository = await repositoryNamed(input);
      const ids = field<{ imageTag?: string; imageDigest?: string }[]>(input, 'imageIds', 'array') ?? [
        { imageTag: 'latest' },
      ];
      const imageDetails = [];
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
  };
}
