// Pushes the built image to ECR (or the registry behind the local ECR): the repository created
// when missing, docker logged in with a token passed on stdin (never on a command line or in a
// log), the image tagged, pushed with its progress streamed, and recorded by digest.
import { mkdir } from 'node:fs/promises';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  type Repository,
} from '@aws-sdk/client-ecr';
import { docker } from '../runtimes/docker/docker-cli.js';
import { StageError } from '../shared/errors.js';
import { pipelinePaths } from '../shared/pipeline-paths.js';
import type { AwsConnection } from './aws-connection.js';
import { isNotFound } from './aws-errors.js';
import { aws, explainAwsError } from './explain-aws-error.js';
import { pushProgress } from './push-progress.js';

export interface PushRequest {
  connection: AwsConnection;
  /** The local image (tag or id) to push. */
  localImage: string;
  repositoryName: string;
  tag: string;
  pipelineName: string;
  /** Holds docker's login for this pipeline only, not the user's ~/.docker. */
  dockerConfigDir: string;
  log(line: string): void;
  step(title: string): void;
  progress(text: string): void;
  signal: AbortSignal;
}

export interface PushedImage {
  /** What SageMaker is given: repository@digest. */
  imageUri: string;
  repositoryUri: string;
  digest: string;
}

async function ensureRepository(request: PushRequest): Promise<Repository> {
  const { ecr } = request.connection;
  const name = request.repositoryName;
  try {
    const found = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    const repository = found.repositories?.[0];
    if (repository) return repository;
  } catch (error) {
    if (!isNotFound(error)) {
      throw explainAwsError(error, `describing the ECR repository ${name}`);
    }
  }
  request.step(`creating the ECR repository ${name}`);
  const created = await aws(`creating the ECR repository ${name}`, () =>
    ecr.send(
      new CreateRepositoryCommand({
        repositoryName: name,
        // ECR scans each pushed image; the local registry has no scanner, and its ECR refuses the
        // setting rather than ignore it.
        ...(request.connection.target === 'aws' ? { imageScanningConfiguration: { scanOnPush: true } } : {}),
        tags: [{ Key: 'pipeline', Value: request.pipelineName }],
      }),
    ),
  );
  if (!created.repository) throw new StageError(`ECR did not describe the new repository ${name}`);
  return created.repository;
}

async function login(request: PushRequest, registryHost: string): Promise<void> {
  const token = await aws('getting an ECR login token', () =>
    request.connection.ecr.send(new GetAuthorizationTokenCommand({})),
  );
  const encoded = token.authorizationData?.[0]?.authorizationToken;
  if (!encoded) throw new StageError('ECR returned no authorization token');
  const [user, ...rest] = Buffer.from(encoded, 'base64').toString('utf8').split(':');
  request.step(`docker login ${registryHost}`);
  await docker(['login', '--username', user ?? 'AWS', '--password-stdin', registryHost], {
    input: rest.join(':'),
    env: { DOCKER_CONFIG: request.dockerConfigDir },
    signal: request.signal,
  });
}

export async function pushImage(request: PushRequest): Promise<PushedImage> {
  const repository = await ensureRepository(request);
  const repositoryUri = repository.repositoryUri;
  if (!repositoryUri) throw new StageError(`ECR gave no URI for the repository ${request.repositoryName}`);
  const registryHost = repositoryUri.split('/')[0] as string;
  await mkdir(request.dockerConfigDir, { recursive: true, mode: 0o700 });
  await login(request, registryHost);

  const target = `${repositoryUri}:${request.tag}`;
  await docker(['tag', request.localImage, target]);
  request.step(`docker push ${target}`);
  const layers = pushProgress(request.progress);
  const output = await docker(['push', target], {
    env: { DOCKER_CONFIG: request.dockerConfigDir },
    log: (line) => {
      request.log(line);
      layers(line);
    },
    signal: request.signal,
  });
  let digest = output.match(/digest: (sha256:[0-9a-f]{64})/)?.[1];
  if (!digest) {
    const images = await aws('describing the pushed image', () =>
      request.connection.ecr.send(
        new DescribeImagesCommand({
          repositoryName: request.repositoryName,
          imageIds: [{ imageTag: request.tag }],
        }),
      ),
    );
    digest = images.imageDetails?.[0]?.imageDigest;
  }
  if (!digest) throw new StageError(`the registry reported no digest for ${target}`);
  return { imageUri: `${repositoryUri}@${digest}`, repositoryUri, digest };
}

export const dockerConfigDir = pipelinePaths.dockerConfig;
