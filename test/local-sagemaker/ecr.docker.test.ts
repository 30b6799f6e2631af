// The ECR calls of the local server, through the AWS SDK's ECR client, backed by a real local
// registry that real `docker login` and `docker push` use.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ecr';
import { execa } from 'execa';
import { type LocalSageMaker, startLocalSageMaker } from '../../src/local-sagemaker/local-sagemaker.js';
import { requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { callChecked } from '../rig/local-sagemaker.js';
import { TestProject } from '../rig/project.js';
import { type LocalRegistry, startRegistry } from '../rig/registry.js';
import { TEST_KEY } from '../rig/test-key.js';

describe('local ECR', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function start(registry?: LocalRegistry): Promise<{ server: LocalSageMaker; ecr: ECRClient }> {
    const project = await TestProject.create();
    const server = await startLocalSageMaker({
      dataDir: project.path('.pipeline/local'),
      keys: [TEST_KEY],
      ...(registry ? { registry: registry.host } : {}),
    });
    const ecr = new ECRClient({
      endpoint: server.endpoint,
      region: server.region,
      credentials: TEST_KEY,
      maxAttempts: 1,
    });
    cleanups.push(
      () => project.remove(),
      () => server.close(),
      async () => ecr.destroy(),
    );
    return { server, ecr };
  }

  it('says that no registry is configured when there is none', async () => {
    const { ecr } = await start();
    await assert.rejects(ecr.send(new CreateRepositoryCommand({ repositoryName: 'model' })), {
      name: 'ServerException',
      message: /no registry configured/,
    });
  });

  it('creates repositories, lends docker a login, and describes pushed images by digest', async (t) => {
    if (!(await requireDocker(t))) return;
    const registry = await startRegistry(t);
    if (!registry) return;
    cleanups.push(() => registry.stop());
    const { ecr, server } = await start(registry);

    const { repository } = await ecr.send(
      new CreateRepositoryCommand({ repositoryName: 'team/model', tags: [{ Key: 'team', Value: 'ml' }] }),
    );
    assert.equal(repository?.repositoryUri, `${registry.host}/team/model`);
    const tagged = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repository?.repositoryArn }));
    assert.deepEqual(tagged.tags, [{ Key: 'team', Value: 'ml' }]);
    // The local registry scans nothing: the setting is refused, not kept and ignored.
    await assert.rejects(
      ecr.send(
        new CreateRepositoryCommand({
          repositoryName: 'scanned',
          imageScanningConfiguration: { scanOnPush: true },
        }),
      ),
      {
        name: 'InvalidParameterException',
        message: /imageScanningConfiguration is not supported by the local ECR/,
      },
    );
    await assert.rejects(ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/model' })), {
      name: 'RepositoryAlreadyExistsException',
    });
    await assert.rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['missing'] })), {
      name: 'RepositoryNotFoundException',
    });

    const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0];
    const [user, password] = Buffer.from(auth?.authorizationToken ?? '', 'base64')
      .toString()
      .split(':');
    assert.equal(user, 'AWS');
    const login = await execa('docker', ['login', '--username', 'AWS', '--password-stdin', registry.host], {
      input: password,
      reject: false,
    });
    assert.equal(login.exitCode, 0, String(login.stderr));

    const target = `${repository?.repositoryUri}:v1`;
    await execa('docker', ['tag', TEST_BASE_IMAGE, target]);
    const pushed = await execa('docker', ['push', target]);
    const digest = String(pushed.stdout).match(/digest: (sha256:[0-9a-f]{64})/)?.[1];
    assert.ok(digest, String(pushed.stdout));
    const images = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'team/model', imageIds: [{ imageTag: 'v1' }] }),
    );
    assert.equal(images.imageDetails?.[0]?.imageDigest, digest);
    await assert.rejects(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'team/model', imageIds: [{ imageTag: 'v2' }] })),
      { name: 'ImageNotFoundException' },
    );
    // Every answer fits ECR's output shapes in AWS's model.
    const checked = (operation: string, input: Record<string, unknown>) =>
      callChecked(server.endpoint, 'ecr', operation, input);
    await checked('DescribeRepositories', {});
    // Without imageIds, every image of the repository, as ECR describes them.
    const all = (await checked('DescribeImages', { repositoryName: 'team/model' })) as {
      imageDetails: { imageDigest: string; imageTags: string[] }[];
    };
    assert.deepEqual(
      all.imageDetails.map((detail) => [detail.imageDigest, detail.imageTags]),
      [[digest, ['v1']]],
    );
    await checked('GetAuthorizationToken', {});
    await checked('CreateRepository', { repositoryName: 'team/shapes' });

    await execa('docker', ['rmi', target], { reject: false });
    await execa('docker', ['logout', registry.host], { reject: false });
  });
});
