// The local SageMaker's hosting behaves as SageMaker documents it, shown through the AWS SDK v3 and
// checked against AWS's service model: a failed UpdateEndpoint keeps serving the old model, a
// deleted endpoint stays deleted, a Failed endpoint only accepts DeleteEndpoint, variants split
// traffic by weight and honour TargetVariant, List calls filter, sort and page, tags round-trip, a
// dead model server is replaced, a serverless variant starts on its first request and throttles
// beyond MaxConcurrency, asynchronous invocations write their results (or failures) to S3, and
// every answer fits the operation's output shape.
//
// The models are small programs written to the hosting contract (GET /ping, POST /invocations on
// the port given), run by the process runtime: one answers its ANSWER, one never starts.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
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
import {
  InvokeEndpointAsyncCommand,
  InvokeEndpointCommand,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { parseS3Uri } from '../../src/local-sagemaker/s3/s3-transfer.js';
import { pathExists } from '../../src/shared/path-exists.js';
import { isProcessAlive } from '../../src/shared/process-alive.js';
import { processesWhoseEnvironment } from '../rig/kill-trials.js';
import {
  callChecked,
  type LocalRig,
  putObjects,
  ROLE,
  startLocalRig,
  waitForEndpoint,
} from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';
import { TEST_KEY } from '../rig/test-key.js';

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
// DRAIN_MS: a server that takes its time to stop, as one finishing its requests does.
process.on('SIGTERM', () =>
  setTimeout(() => server.close(() => process.exit(0)), Number(process.env.DRAIN_MS ?? 0)),
);
`;
const NEVER_STARTS = `console.error('this model cannot load its weights'); process.exit(1);\n`;
/** Answers ANSWER:PID; a request whose body is "hold" is answered once HOLD_FILE exists. */
const HOLDING = `
import { createServer } from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
const server = createServer((request, response) => {
  if (request.url === '/ping') return response.end('ok');
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    const answer = () => response.end(process.env.ANSWER + ':' + process.pid);
    if (body !== 'hold') return answer();
    writeFileSync(process.env.HOLD_FILE + '.held', '');
    const timer = setInterval(() => { if (existsSync(process.env.HOLD_FILE)) { clearInterval(timer); answer(); } }, 20);
  });
});
server.listen(Number(process.env.SAGEMAKER_BIND_TO_PORT ?? 8080), process.env.PIPELINE_BIND_HOST ?? '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

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

  async function modelAndConfig(
    name: string,
    image: string,
    answer: string,
    variants?: unknown[],
    environment: Record<string, string> = {},
  ) {
    await rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: image, Environment: { ANSWER: answer, ...environment } },
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
      ['holding', HOLDING],
    ] as const) {
      const dir = rig.project.path('images', name);
      await mkdir(join(dir, 'dist'), { recursive: true });
      await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
      await writeFile(join(dir, 'dist', 'serve.js'), program);
    }
    answeringImage = pathToFileURL(rig.project.path('images', 'answering')).href;
    brokenImage = pathToFileURL(rig.project.path('images', 'broken')).href;
    await modelAndConfig('blue', answeringImage, 'blue', undefined, { DRAIN_MS: '1000' });
    await modelAndConfig('green', answeringImage, 'green');
    await modelAndConfig('broken', brokenImage, 'never');
  });
  after(async () => {
    for (const name of ['ep', 'split', 'doomed', 'failed', 'cold', 'queued'])
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
    const pending = during.PendingDeploymentSummary as {
      EndpointConfigName: string;
      ProductionVariants: { VariantName: string; DesiredWeight: number; DesiredInstanceCount: number }[];
    };
    assert.equal(pending.EndpointConfigName, 'broken');
    assert.deepEqual(
      pending.ProductionVariants.map((v) => [v.VariantName, v.DesiredWeight, v.DesiredInstanceCount]),
      [['AllTraffic', 1, 1]],
      'the variants the update will deploy',
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
    // What the contract expects, and the server's own last words.
    assert.match(String(after.FailureReason), /answers GET \/ping with 200 on port 8080/);
    assert.match(String(after.FailureReason), /Its last lines:\nthis model cannot load its weights/);
    assert.ok(answers.length > 0 && answers.every((answer) => answer === 'blue'), answers.join(' '));
    assert.equal((await answerOf('ep')).text, 'blue');

    const blueServers = () =>
      processesWhoseEnvironment(
        (variables) =>
          variables.includes('ANSWER=blue') && variables.some((v) => v.includes(rig.project.dir)),
      );
    assert.equal((await blueServers()).length, 1, 'the blue model is served');
    await call('UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'green' });
    const updated = await settled('ep');
    assert.equal(updated.EndpointConfigName, 'green');
    assert.equal(updated.FailureReason, undefined);
    // As on SageMaker, the update ends when the old fleet is gone, not when the new one answers.
    assert.deepEqual(await blueServers(), [], 'the old server stopped before the endpoint was InService');
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
          { VariantName: 'b', DesiredWeight: 1, DesiredInstanceCount: 1 },
        ],
      }),
    );
    // Updating until the new weights take the traffic, as on SageMaker; then every request goes to b.
    const shifting = await call('DescribeEndpoint', { EndpointName: 'split' });
    assert.ok(
      ['Updating', 'InService'].includes(String(shifting.EndpointStatus)),
      String(shifting.EndpointStatus),
    );
    const shifted = (await settled('split')) as {
      EndpointStatus: string;
      ProductionVariants: { VariantName: string; CurrentWeight: number; DesiredWeight: number }[];
    };
    assert.equal(shifted.EndpointStatus, 'InService');
    assert.deepEqual(
      shifted.ProductionVariants.map((v) => [v.VariantName, v.CurrentWeight, v.DesiredWeight]),
      [
        ['a', 0, 0],
        ['b', 1, 1],
      ],
    );
    for (let request = 0; request < 20; request++) assert.equal((await answerOf('split')).variant, 'b');
    await assert.rejects(
      rig.sagemaker.send(
        new UpdateEndpointWeightsAndCapacitiesCommand({
          EndpointName: 'split',
          DesiredWeightsAndCapacities: [
            { VariantName: 'b', DesiredWeight: 1 },
            { VariantName: 'b', DesiredWeight: 2 },
          ],
        }),
      ),
      { name: 'ValidationException', message: /"b" appears more than once/ },
    );
  });

  it('replaces a model server that died as soon as it dies, as SageMaker replaces an unhealthy instance', async () => {
    const stored = JSON.parse(
      await readFile(rig.project.path('.pipeline/local/sagemaker/hosting/endpoints/ep.json'), 'utf8'),
    ) as { deployment: { variants: { servers: { pid: number }[] }[] } };
    const pid = stored.deployment.variants[0]?.servers[0]?.pid as number;
    process.kill(pid, 'SIGKILL');
    // Replaced because it ended, before any request finds it gone: no invocation until then.
    await waitFor(
      async () => {
        const now = JSON.parse(
          await readFile(rig.project.path('.pipeline/local/sagemaker/hosting/endpoints/ep.json'), 'utf8'),
        ) as { deployment: { variants: { servers: { pid: number }[] }[] } };
        const replacement = now.deployment.variants[0]?.servers[0]?.pid;
        return replacement !== pid ? replacement : undefined;
      },
      'the dead server to be replaced',
      60,
    );
    assert.equal((await answerOf('ep')).text, 'green', 'the first request after the death is answered');
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

  it('starts a serverless variant on its first request, keeps it warm, and throttles beyond MaxConcurrency', async () => {
    const holdFile = rig.project.path('release-cold');
    await rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'cold',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: {
          Image: pathToFileURL(rig.project.path('images', 'holding')).href,
          Environment: { ANSWER: 'cold', HOLD_FILE: holdFile },
        },
      }),
    );
    const serverless = { MemorySizeInMB: 2048, MaxConcurrency: 1 };
    // ProvisionedConcurrency keeps servers warm from the start: never more than MaxConcurrency.
    await assert.rejects(
      call('CreateEndpointConfig', {
        EndpointConfigName: 'cold-provisioned',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'cold',
            ServerlessConfig: { ...serverless, ProvisionedConcurrency: 2 },
          },
        ],
      }),
      /ProvisionedConcurrency \(2\) cannot exceed MaxConcurrency \(1\)/,
    );
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'cold',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'cold', ServerlessConfig: serverless }],
    });
    await call('CreateEndpoint', { EndpointName: 'cold', EndpointConfigName: 'cold' });
    const described = (await settled('cold')) as {
      EndpointStatus: string;
      ProductionVariants: Record<string, unknown>[];
    };
    assert.equal(described.EndpointStatus, 'InService');
    assert.deepEqual(described.ProductionVariants[0]?.CurrentServerlessConfig, serverless);
    assert.equal(described.ProductionVariants[0]?.CurrentInstanceCount, undefined);
    const storedServer = async () =>
      (
        JSON.parse(
          await readFile(rig.project.path('.pipeline/local/sagemaker/hosting/endpoints/cold.json'), 'utf8'),
        ) as { deployment: { variants: { servers: { pid: number }[] }[] } }
      ).deployment.variants[0]?.servers[0];
    assert.equal(await storedServer(), undefined, 'no server before the first request');

    // The first request starts the server and is held there: a second one is over MaxConcurrency.
    const held = rig.runtime.send(
      new InvokeEndpointCommand({ EndpointName: 'cold', Body: 'hold', ContentType: 'text/plain' }),
    );
    await waitFor(
      async () => ((await pathExists(`${holdFile}.held`)) ? true : undefined),
      'the cold start',
      60,
    );
    const once = new SageMakerRuntimeClient({
      region: rig.server.region,
      endpoint: rig.server.endpoint,
      credentials: TEST_KEY,
      maxAttempts: 1,
    });
    try {
      await assert.rejects(
        once.send(new InvokeEndpointCommand({ EndpointName: 'cold', Body: '1', ContentType: 'text/plain' })),
        { name: 'ThrottlingException', message: /MaxConcurrency of 1/ },
      );
    } finally {
      once.destroy();
    }
    await writeFile(holdFile, '');
    const first = new TextDecoder().decode((await held).Body);
    const second = (await answerOf('cold')).text;
    const pid = (await storedServer())?.pid;
    assert.equal(first, `cold:${pid}`);
    assert.equal(second, first, 'the same warm server answers again');

    await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'cold' }));
    assert.equal(isProcessAlive(pid as number), false, 'the warm server stops with its endpoint');
  });

  it('answers InvokeEndpointAsync at once and writes each result, or its failure, to S3', async () => {
    await putObjects(rig.s3, 'async-data', { 'in/rows.csv': '1,2\n' });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'queued',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: 'blue',
          InstanceType: 'ml.m5.large',
          InitialInstanceCount: 1,
        },
      ],
      AsyncInferenceConfig: {
        ClientConfig: { MaxConcurrentInvocationsPerInstance: 2 },
        OutputConfig: { S3OutputPath: 's3://async-data/results', S3FailurePath: 's3://async-data/failures' },
      },
    });
    const config = await call('DescribeEndpointConfig', { EndpointConfigName: 'queued' });
    assert.deepEqual((config.AsyncInferenceConfig as { ClientConfig: unknown }).ClientConfig, {
      MaxConcurrentInvocationsPerInstance: 2,
    });
    await call('CreateEndpoint', { EndpointName: 'queued', EndpointConfigName: 'queued' });
    assert.equal((await settled('queued')).EndpointStatus, 'InService');

    const read = (location: string) =>
      waitFor(
        async () => {
          const { bucket, key } = parseS3Uri(location);
          const object = await rig.s3
            .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
            .catch(() => undefined);
          return object ? object.Body?.transformToString() : undefined;
        },
        `an object at ${location}`,
        30,
      );
    const accepted = await rig.runtime.send(
      new InvokeEndpointAsyncCommand({
        EndpointName: 'queued',
        InputLocation: 's3://async-data/in/rows.csv',
        ContentType: 'text/csv',
        InferenceId: 'request-1',
      }),
    );
    assert.equal(accepted.InferenceId, 'request-1');
    assert.match(String(accepted.OutputLocation), /^s3:\/\/async-data\/results\/[0-9a-f-]{36}\.out$/);
    assert.match(String(accepted.FailureLocation), /^s3:\/\/async-data\/failures\/[0-9a-f-]{36}-error\.out$/);
    assert.equal(await read(String(accepted.OutputLocation)), 'blue');

    const missing = await rig.runtime.send(
      new InvokeEndpointAsyncCommand({
        EndpointName: 'queued',
        InputLocation: 's3://async-data/in/none.csv',
      }),
    );
    assert.match(String(missing.InferenceId), /^[0-9a-f-]{36}$/, 'an id is made when none is given');
    assert.match(
      await read(String(missing.FailureLocation)),
      /Could not read the input s3:\/\/async-data\/in\/none\.csv/,
    );

    await assert.rejects(answerOf('queued'), { name: 'ValidationError', message: /use|InvokeEndpointAsync/ });
    await assert.rejects(
      rig.runtime.send(
        new InvokeEndpointAsyncCommand({ EndpointName: 'ep', InputLocation: 's3://async-data/in/rows.csv' }),
      ),
      { name: 'ValidationError', message: /not configured for asynchronous inference/ },
    );
  });

  it('refuses what it does not run, instead of storing it', async () => {
    await assert.rejects(
      rig.sagemaker.send(
        new CreateModelCommand({
          ModelName: 'no-data',
          ExecutionRoleArn: ROLE,
          PrimaryContainer: { Image: brokenImage, ModelDataUrl: 's3://no-such-bucket/model.tar.gz' },
        }),
      ),
      {
        name: 'ValidationException',
        message: 'Could not find model data at s3://no-such-bucket/model.tar.gz.',
      },
    );
    await assert.rejects(
      call('CreateEndpointConfig', {
        EndpointConfigName: 'odd-memory',
        ProductionVariants: [
          {
            VariantName: 'a',
            ModelName: 'blue',
            ServerlessConfig: { MemorySizeInMB: 1111, MaxConcurrency: 1 },
          },
        ],
      }),
      /MemorySizeInMB 1111 is not one of 1024, 2048, 3072, 4096, 5120, 6144/,
    );
    await assert.rejects(
      rig.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'both',
          ProductionVariants: [
            {
              VariantName: 'a',
              ModelName: 'blue',
              InstanceType: 'ml.m5.large',
              InitialInstanceCount: 1,
              ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 },
            },
          ],
        }),
      ),
      {
        name: 'ValidationException',
        message: /a serverless variant \(ServerlessConfig\) takes no InstanceType/,
      },
    );
    await assert.rejects(
      rig.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'notify',
          ProductionVariants: [
            { VariantName: 'a', ModelName: 'blue', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
          ],
          AsyncInferenceConfig: {
            OutputConfig: {
              S3OutputPath: 's3://bucket/out',
              NotificationConfig: { SuccessTopic: 'arn:aws:sns:us-east-1:000000000000:done' },
            },
          },
        }),
      ),
      {
        name: 'ValidationException',
        message:
          /AsyncInferenceConfig.OutputConfig.NotificationConfig is not supported by the local SageMaker/,
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
    await assert.rejects(call('CreateCompilationJob', { CompilationJobName: 'x' }), {
      name: 'UnknownOperationException',
      message: /CreateCompilationJob is not supported by the local SageMaker/,
    });
  });
});
