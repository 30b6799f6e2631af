// The local SageMaker's hosting behaves as SageMaker documents it, shown through the AWS SDK v3 and
// checked against AWS's service model: a failed UpdateEndpoint keeps serving the old model, a
// deleted endpoint stays deleted, a Failed endpoint only accepts DeleteEndpoint, variants split
// traffic by weight and honour TargetVariant, List calls filter, sort and page, tags round-trip, a
// dead model server is replaced, and every answer fits the operation's output shape.
//
// The models are small programs written to the hosting contract (GET /ping, POST /invocations on
// the port given), run by the process runtime: one answers its ANSWER, one never starts.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  AddTagsCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteModelCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { callChecked, type LocalRig, ROLE, startLocalRig, waitForEndpoint } from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';

const ANSWERING = `
import { createServer } from 'node:http';
const server = createServer((request, response) => {
  if (request.url === '/ping') return response.end('ok');
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end(process.env.ANSWER ?? 'no answer');
  });
});
server.listen(Number(process.env.SAGEMAKER_BIND_TO_PORT ?? 8080), process.env.PIPELINE_BIND_HOST ?? '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
const NEVER_STARTS = `console.error('this model cannot load its weights'); process.exit(1);\n`;

describe('local SageMaker hosting, as SageMaker documents it', () => {
  let rig: LocalRig;
  let answeringImage = '';
  let brokenImage = '';

  /** An operation called over the wire, its answer checked against the service model. */
  const call = (operation: string, input: Record<string, unknown>) =>
    callChecked(rig.server.endpoint, 'sagemaker', operation, input);

  const invoke = (endpoint: string, targetVariant?: string) =>
    rig.runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpoint,
        Body: '1',
        ContentType: 'text/plain',
        ...(targetVariant ? { TargetVariant: targetVariant } : {}),
      }),
    );
  const answerOf = async (endpoint: string, targetVariant?: string) => {
    const answer = await invoke(endpoint, targetVariant);
    return { text: new TextDecoder().decode(answer.Body), variant: answer.InvokedProductionVariant };
  };

  async function modelAndConfig(name: string, image: string, answer: string, variants?: unknown[]) {
    await rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: image, Environment: { ANSWER: answer } },
      }),
    );
    await rig.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: (variants as never) ?? [
          {
            VariantName: 'AllTraffic',
            ModelName: name,
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 1,
          },
        ],
      }),
    );
  }

  /** Waits until the endpoint is no longer Creating or Updating, checking each answer's shape. */
  async function settled(endpoint: string): Promise<Record<string, unknown>> {
    return waitFor(
      async () => {
        const described = await call('DescribeEndpoint', { EndpointName: endpoint });
        return ['Creating', 'Updating'].includes(String(described.EndpointStatus)) ? undefined : described;
      },
      `${endpoint} to settle`,
      60,
    );
  }

  before(async () => {
    rig = await startLocalRig();
    for (const [name, program] of [
      ['answering', ANSWERING],
      ['broken', NEVER_STARTS],
    ] as const) {
      const dir = rig.project.path('images', name);
      await mkdir(join(dir, 'dist'), { recursive: true });
      await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
      await writeFile(join(dir, 'dist', 'serve.js'), program);
    }
    answeringImage = pathToFileURL(rig.project.path('images', 'answering')).href;
    brokenImage = pathToFileURL(rig.project.path('images', 'broken')).href;
    await modelAndConfig('blue', answeringImage, 'blue');
    await modelAndConfig('green', answeringImage, 'green');
    await modelAndConfig('broken', brokenImage, 'never');
  });
  after(async () => {
    for (const name of ['ep', 'split', 'doomed', 'failed'])
      await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: name })).catch(() => undefined);
    await rig.close();
  });

  it('keeps serving the old model when an update fails, every invocation answered, and reports why', async () => {
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'blue' });
    assert.equal((await waitForEndpoint(rig.sagemaker, 'ep')).EndpointStatus, 'InService');
    await call('UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'broken' });
    const during = await call('DescribeEndpoint', { EndpointName: 'ep' });
    assert.equal(during.EndpointStatus, 'Updating');
    assert.equal(during.EndpointConfigName, 'blue', 'the serving config until the update completes');
    assert.deepEqual(
      (during.PendingDeploymentSummary as { EndpointConfigName: string }).EndpointConfigName,
      'broken',
    );
    const answers: string[] = [];
    let status = 'Updating';
    while (status === 'Updating') {
      answers.push((await answerOf('ep')).text);
      status = String((await call('DescribeEndpoint', { EndpointName: 'ep' })).EndpointStatus);
    }
    const after = await settled('ep');
    assert.equal(after.EndpointStatus, 'InService');
    assert.equal(after.EndpointConfigName, 'blue');
    assert.match(String(after.FailureReason), /did not pass the ping health check/);
    assert.ok(answers.length > 0 && answers.every((answer) => answer === 'blue'), answers.join(' '));
    assert.equal((await answerOf('ep')).text, 'blue');

    await call('UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'green' });
    const updated = await settled('ep');
    assert.equal(updated.EndpointConfigName, 'green');
    assert.equal(updated.FailureReason, undefined);
    assert.equal((await answerOf('ep')).text, 'green');
  });

  it('leaves a Failed endpoint to DeleteEndpoint alone', async () => {
    await call('CreateEndpoint', { EndpointName: 'failed', EndpointConfigName: 'broken' });
    const failed = await settled('failed');
    assert.equal(failed.EndpointStatus, 'Failed');
    assert.match(String(failed.FailureReason), /cannot load its weights/);
    await assert.rejects(
      rig.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'failed', EndpointConfigName: 'blue' })),
      { name: 'ValidationException', message: /Failed status: only DeleteEndpoint is allowed/ },
    );
    await assert.rejects(invoke('failed'), { name: 'ValidationError' });
    await call('DeleteEndpoint', { EndpointName: 'failed' });
  });

  it('never brings back an endpoint deleted while its deployment was starting', async () => {
    await call('CreateEndpoint', { EndpointName: 'doomed', EndpointConfigName: 'broken' });
    await call('DeleteEndpoint', { EndpointName: 'doomed' });
    await rig.server.hosting.idle();
    await assert.rejects(rig.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'doomed' })), {
      name: 'ValidationException',
      message: /Could not find endpoint/,
    });
    const listed = await call('ListEndpoints', {});
    assert.ok(!(listed.Endpoints as { EndpointName: string }[]).some((e) => e.EndpointName === 'doomed'));
  });

  it('deploys every variant, splits traffic by weight, and honours TargetVariant', async () => {
    const variant = (name: string, modelName: string, weight: number) => ({
      VariantName: name,
      ModelName: modelName,
      InstanceType: 'ml.m5.large' as const,
      InitialInstanceCount: 1,
      InitialVariantWeight: weight,
    });
    await assert.rejects(
      rig.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'twice',
          ProductionVariants: [variant('a', 'blue', 1), variant('a', 'green', 1)],
        }),
      ),
      { name: 'ValidationException', message: /appears more than once/ },
    );
    await rig.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'split',
        ProductionVariants: [
          { ...variant('a', 'blue', 3), ContainerStartupHealthCheckTimeoutInSeconds: 60 },
          variant('b', 'green', 1),
        ],
      }),
    );
    const stored = await call('DescribeEndpointConfig', { EndpointConfigName: 'split' });
    assert.deepEqual(
      (stored.ProductionVariants as { ContainerStartupHealthCheckTimeoutInSeconds?: number }[]).map(
        (v) => v.ContainerStartupHealthCheckTimeoutInSeconds,
      ),
      [60, undefined],
      'a variant keeps its startup health-check timeout',
    );
    await call('CreateEndpoint', { EndpointName: 'split', EndpointConfigName: 'split' });
    const described = await settled('split');
    assert.deepEqual(
      (described.ProductionVariants as { VariantName: string; CurrentWeight: number }[]).map((v) => [
        v.VariantName,
        v.CurrentWeight,
      ]),
      [
        ['a', 3],
        ['b', 1],
      ],
    );
    const counts = { a: 0, b: 0 };
    for (let request = 0; request < 400; request++) {
      const { text, variant: invoked } = await answerOf('split');
      assert.equal(text, invoked === 'a' ? 'blue' : 'green', 'the answer comes from the variant named');
      counts[invoked as 'a' | 'b']++;
    }
    // 3:1 over 400 requests: 300 expected for a, with a standard deviation near 9.
    assert.ok(Math.abs(counts.a - 300) < 45, JSON.stringify(counts));
    for (let request = 0; request < 20; request++)
      assert.deepEqual(await answerOf('split', 'b'), { text: 'green', variant: 'b' });
    await assert.rejects(invoke('split', 'c'), {
      name: 'ValidationError',
      message: /variant "c" does not exist/,
    });

    await rig.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: 'split',
        DesiredWeightsAndCapacities: [
          { VariantName: 'a', DesiredWeight: 0 },
          { VariantName: 'b', DesiredWeight: 1 },
        ],
      }),
    );
    for (let request = 0; request < 20; request++) assert.equal((await answerOf('split')).variant, 'b');
  });

  it('replaces a model server that died, as SageMaker replaces an unhealthy instance', async () => {
    const stored = JSON.parse(
      await readFile(rig.project.path('.pipeline/local/sagemaker/hosting/endpoints/ep.json'), 'utf8'),
    ) as { deployment: { variants: { server: { pid: number } }[] } };
    const pid = stored.deployment.variants[0]?.server.pid as number;
    process.kill(pid, 'SIGKILL');
    const answer = await waitFor(
      async () => (await answerOf('ep').catch(() => undefined))?.text,
      'the endpoint to answer again',
      60,
    );
    assert.equal(answer, 'green');
    assert.equal((await call('DescribeEndpoint', { EndpointName: 'ep' })).EndpointStatus, 'InService');
  });

  it('filters, sorts and pages List answers, and refuses a token it did not issue', async () => {
    for (const name of ['list-c', 'list-a', 'list-e', 'list-b', 'list-d'])
      await call('CreateModel', {
        ModelName: name,
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: answeringImage },
      });
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await call('ListModels', {
        NameContains: 'LIST-',
        MaxResults: 2,
        ...(token ? { NextToken: token } : {}),
      });
      assert.ok((page.Models as unknown[]).length <= 2);
      names.push(...(page.Models as { ModelName: string }[]).map((m) => m.ModelName));
      token = page.NextToken as string | undefined;
    } while (token);
    assert.deepEqual(names, ['list-d', 'list-b', 'list-e', 'list-a', 'list-c'], 'newest first by default');
    const byName = await rig.sagemaker.send(
      new ListModelsCommand({ NameContains: 'list-', SortBy: 'Name', SortOrder: 'Ascending' }),
    );
    assert.deepEqual(
      byName.Models?.map((m) => m.ModelName),
      ['list-a', 'list-b', 'list-c', 'list-d', 'list-e'],
    );
    const failed = await rig.sagemaker.send(
      new ListEndpointsCommand({ StatusEquals: 'InService', SortBy: 'Name' }),
    );
    assert.deepEqual(
      failed.Endpoints?.map((e) => e.EndpointName),
      ['split', 'ep'],
    );
    await assert.rejects(rig.sagemaker.send(new ListModelsCommand({ NextToken: 'not-a-token' })), {
      name: 'ValidationException',
      message: /pagination token is invalid/,
    });
    await assert.rejects(
      rig.sagemaker.send(new ListEndpointsCommand({ StatusEquals: 'Sleeping' as never })),
      {
        name: 'ValidationException',
        message:
          /Value 'Sleeping' at 'statusEquals' failed to satisfy constraint: Member must satisfy enum value set: \[OutOfService, Creating/,
      },
    );
  });

  it('keeps tags given at creation, adds, lists and deletes them, and drops them with the resource', async () => {
    const { ModelArn } = await rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'Tagged-Model',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: answeringImage },
        Tags: [{ Key: 'team', Value: 'ml' }],
      }),
    );
    assert.equal(ModelArn?.endsWith(':model/tagged-model'), true, 'ARNs carry the lower-cased name');
    await assert.rejects(
      call('CreateModel', {
        ModelName: 'tagged-model',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: answeringImage },
      }),
      { message: /Cannot create already existing model/ },
    );
    await rig.sagemaker.send(
      new AddTagsCommand({
        ResourceArn: ModelArn,
        Tags: [
          { Key: 'team', Value: 'search' },
          { Key: 'cost-centre', Value: '42' },
        ],
      }),
    );
    assert.deepEqual((await call('ListTags', { ResourceArn: ModelArn })).Tags, [
      { Key: 'team', Value: 'search' },
      { Key: 'cost-centre', Value: '42' },
    ]);
    await rig.sagemaker.send(new DeleteTagsCommand({ ResourceArn: ModelArn, TagKeys: ['team'] }));
    const listed = await rig.sagemaker.send(new ListTagsCommand({ ResourceArn: ModelArn }));
    assert.deepEqual(listed.Tags, [{ Key: 'cost-centre', Value: '42' }]);
    await rig.sagemaker.send(new DeleteModelCommand({ ModelName: 'tagged-model' }));
    await assert.rejects(rig.sagemaker.send(new ListTagsCommand({ ResourceArn: ModelArn })), {
      name: 'ValidationException',
    });
  });

  it('refuses what it does not run, instead of storing it', async () => {
    await assert.rejects(
      rig.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'serverless',
          ProductionVariants: [
            {
              VariantName: 'a',
              ModelName: 'blue',
              ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 },
            },
          ],
        }),
      ),
      { name: 'ValidationException', message: /ServerlessConfig is not supported by the local SageMaker/ },
    );
    await assert.rejects(
      rig.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'async',
          ProductionVariants: [
            { VariantName: 'a', ModelName: 'blue', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
          ],
          AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://bucket/out' } },
        }),
      ),
      {
        name: 'ValidationException',
        message: /AsyncInferenceConfig is not supported by the local SageMaker/,
      },
    );
    await assert.rejects(
      rig.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'bad-type',
          ProductionVariants: [
            {
              VariantName: 'a',
              ModelName: 'blue',
              InstanceType: 'ml.huge' as never,
              InitialInstanceCount: 1,
            },
          ],
        }),
      ),
      {
        name: 'ValidationException',
        message:
          /Value 'ml.huge' at 'productionVariants.1.member.instanceType' failed to satisfy constraint: Member must satisfy enum value set/,
      },
    );
    await assert.rejects(call('CreateTransformJob', { TransformJobName: 'x' }), {
      name: 'UnknownOperationException',
      message: /CreateTransformJob is not supported by the local SageMaker/,
    });
  });
});
