// A production variant on several instances, as SageMaker serves one: a model server per instance
// (InitialInstanceCount), requests spread over them at random, a log stream each, an instance that
// dies replaced while the others serve, and the count changed by UpdateEndpointWeightsAndCapacities
// (DesiredInstanceCount): Updating, then InService on the new count; a blue/green update keeps the
// servers of a variant it runs unchanged. An endpoint an earlier version recorded with one server
// per variant keeps serving.
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { startLocalSageMaker } from '../../src/local-sagemaker/local-sagemaker.js';
import { isProcessAlive } from '../../src/shared/process-alive.js';
import {
  connectRig,
  createModelWithConfig,
  type LocalRig,
  ROLE,
  startLocalRig,
  waitForEndpoint,
} from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';
import { TEST_KEY } from '../rig/test-key.js';

// Answers every invocation with its own pid, so that a test sees which instance took it.
const SERVE = `#!/usr/bin/env node
const http = require('node:http');
http
  .createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(request.url === '/ping' ? '' : String(process.pid));
    });
  })
  .listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), process.env.PIPELINE_BIND_HOST, () =>
    console.log('serving as ' + process.pid),
  );
`;

interface StoredEndpoint {
  deployment: { variants: { name: string; servers: { pid: number }[] }[] };
}

describe('a variant on several instances', () => {
  let rig: LocalRig;
  const record = () => rig.project.path('.pipeline/local/sagemaker/hosting/endpoints/fleet.json');
  const storedPids = async () =>
    (JSON.parse(await readFile(record(), 'utf8')) as StoredEndpoint).deployment.variants[0]?.servers.map(
      (server) => server.pid,
    ) ?? [];
  const storedVariants = async () =>
    (JSON.parse(await readFile(record(), 'utf8')) as StoredEndpoint).deployment.variants.map((variant) => ({
      name: variant.name,
      pids: variant.servers.map((server) => server.pid),
    }));
  /** The pids that answered `count` invocations. */
  const answering = async (count: number): Promise<Set<string>> => {
    const pids = new Set<string>();
    for (let call = 0; call < count; call++) {
      const answer = await rig.runtime.send(
        new InvokeEndpointCommand({ EndpointName: 'fleet', Body: 'x', ContentType: 'text/plain' }),
      );
      pids.add(new TextDecoder().decode(answer.Body));
    }
    return pids;
  };
  const describe = () => rig.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'fleet' }));

  before(async () => {
    rig = await startLocalRig({ stopGraceSeconds: 1 });
    const program = rig.project.path('pid-model');
    await mkdir(program, { recursive: true });
    await writeFile(join(program, 'serve'), SERVE);
    await chmod(join(program, 'serve'), 0o755);
    await createModelWithConfig(
      rig.sagemaker,
      { model: 'pid-model', config: 'fleet-config' },
      pathToFileURL(program).href,
      undefined,
      2,
    );
    await rig.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'fleet', EndpointConfigName: 'fleet-config' }),
    );
    const endpoint = await waitForEndpoint(rig.sagemaker, 'fleet');
    assert.equal(endpoint.EndpointStatus, 'InService', endpoint.FailureReason);
  });
  after(async () => {
    await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'fleet' })).catch(() => undefined);
    await rig.close();
  });

  it('starts a server per instance: requests spread over both, a log stream each', async () => {
    const described = await describe();
    assert.equal(described.ProductionVariants?.[0]?.CurrentInstanceCount, 2);
    const pids = await storedPids();
    assert.equal(new Set(pids).size, 2);
    // At random, as SageMaker routes by default: 40 requests all to one of two would be 1 in 2^39.
    assert.deepEqual([...(await answering(40))].sort(), pids.map(String).sort());

    const group = '/aws/sagemaker/Endpoints/fleet';
    const { logStreams = [] } = await rig.logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    assert.equal(logStreams.length, 2);
    const lines = await Promise.all(
      logStreams.map(async (stream) =>
        (
          await rig.logs.send(
            new GetLogEventsCommand({
              logGroupName: group,
              logStreamName: stream.logStreamName,
              startFromHead: true,
            }),
          )
        ).events?.map((event) => event.message),
      ),
    );
    assert.deepEqual(lines.flat().sort(), pids.map((pid) => `serving as ${pid}`).sort());
  });

  it('replaces an instance that dies in its place, the other serving meanwhile', async () => {
    const [dead, other] = (await storedPids()) as [number, number];
    process.kill(dead, 'SIGKILL');
    const replaced = await waitFor(async () => {
      const now = await storedPids();
      return now[0] !== dead ? now : undefined;
    }, 'the dead instance to be replaced');
    assert.equal(replaced.length, 2);
    assert.equal(replaced[1], other, 'the other instance was left alone');
    assert.deepEqual([...(await answering(40))].sort(), replaced.map(String).sort());
    assert.equal((await describe()).EndpointStatus, 'InService');
  });

  it('changes the instance count with DesiredInstanceCount: Updating, then InService on the new count', async () => {
    await rig.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: 'fleet',
        DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 3 }],
      }),
    );
    const updating = await describe();
    assert.equal(updating.EndpointStatus, 'Updating');
    assert.equal(updating.ProductionVariants?.[0]?.DesiredInstanceCount, 3);
    const grown = await waitForEndpoint(rig.sagemaker, 'fleet');
    assert.equal(grown.EndpointStatus, 'InService', grown.FailureReason);
    assert.equal(grown.ProductionVariants?.[0]?.CurrentInstanceCount, 3);
    const three = await storedPids();
    assert.equal(new Set(three).size, 3);
    assert.deepEqual([...(await answering(60))].sort(), three.map(String).sort());

    await rig.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: 'fleet',
        DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 1 }],
      }),
    );
    const shrunk = await waitForEndpoint(rig.sagemaker, 'fleet');
    assert.equal(shrunk.ProductionVariants?.[0]?.CurrentInstanceCount, 1);
    assert.deepEqual(await storedPids(), three.slice(0, 1));
    for (const pid of three.slice(1)) assert.ok(!isProcessAlive(pid), `instance ${pid} was stopped`);

    await assert.rejects(
      rig.sagemaker.send(
        new UpdateEndpointWeightsAndCapacitiesCommand({
          EndpointName: 'fleet',
          DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 0 }],
        }),
      ),
      {
        name: 'ValidationException',
        message: /DesiredInstanceCount 0 .* is not supported by the local SageMaker/,
      },
    );
  });

  it('keeps, across blue/green updates, the servers of a variant whose model and instances are unchanged', async () => {
    // As the gated deploy uses an endpoint: the serving model beside a candidate, then the
    // candidate alone under the variant name the serving one had.
    const [champion] = await storedPids();
    const program = rig.project.path('pid-model');
    await rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'pid-candidate',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: pathToFileURL(program).href },
      }),
    );
    const variant = (VariantName: string, ModelName: string, InitialVariantWeight: number) => ({
      VariantName,
      ModelName,
      InstanceType: 'ml.t2.medium' as const,
      InitialInstanceCount: 1,
      InitialVariantWeight,
    });
    const update = async (EndpointConfigName: string, variants: ReturnType<typeof variant>[]) => {
      await rig.sagemaker.send(
        new CreateEndpointConfigCommand({ EndpointConfigName, ProductionVariants: variants }),
      );
      await rig.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'fleet', EndpointConfigName }));
      const updated = await waitForEndpoint(rig.sagemaker, 'fleet');
      assert.equal(updated.EndpointStatus, 'InService', updated.FailureReason);
      assert.equal(updated.EndpointConfigName, EndpointConfigName);
    };
    const answerOf = async (TargetVariant: string) =>
      new TextDecoder().decode(
        (
          await rig.runtime.send(
            new InvokeEndpointCommand({
              EndpointName: 'fleet',
              TargetVariant,
              Body: 'x',
              ContentType: 'text/plain',
            }),
          )
        ).Body,
      );

    await update('fleet-with-candidate', [
      variant('AllTraffic', 'pid-model', 1),
      variant('Candidate', 'pid-candidate', 0),
    ]);
    const [kept, candidate] = await storedVariants();
    assert.deepEqual(kept, { name: 'AllTraffic', pids: [champion] }, 'the serving model kept its server');
    assert.equal(candidate?.name, 'Candidate');
    const [candidatePid] = candidate?.pids ?? [];
    assert.ok(candidatePid !== undefined && candidatePid !== champion);
    assert.equal(await answerOf('AllTraffic'), String(champion));
    assert.equal(await answerOf('Candidate'), String(candidatePid));

    await update('fleet-promoted', [variant('AllTraffic', 'pid-candidate', 1)]);
    assert.deepEqual(await storedVariants(), [{ name: 'AllTraffic', pids: [candidatePid] }]);
    assert.ok(!isProcessAlive(champion as number), 'the retired model’s server was stopped');
    assert.deepEqual([...(await answering(5))], [String(candidatePid)]);
    // Only the folder the kept server serves from is left of the three deployments.
    const deployments = rig.project.path('.pipeline/local/sagemaker/hosting/deployments/fleet');
    assert.equal((await readdir(deployments)).length, 1);

    // A kept server that dies is replaced under the variant it serves now.
    process.kill(candidatePid as number, 'SIGKILL');
    const replaced = await waitFor(async () => {
      const [now] = await storedVariants();
      return now?.pids[0] !== candidatePid ? now : undefined;
    }, 'the kept server to be replaced');
    assert.equal(replaced.name, 'AllTraffic');
    assert.deepEqual([...(await answering(5))], replaced.pids.map(String));
  });

  it('keeps serving an endpoint an earlier version recorded with one server per variant', async () => {
    const [pid] = await storedPids();
    // The server is closed (endpoints keep serving), the record rewritten in the earlier shape,
    // and a new server started on the same folder.
    await rig.server.close();
    const stored = JSON.parse(await readFile(record(), 'utf8')) as {
      deployment: { variants: Record<string, unknown>[] };
    };
    const variant = stored.deployment.variants[0] as Record<string, unknown>;
    variant.server = (variant.servers as unknown[])[0];
    delete variant.servers;
    await writeFile(record(), JSON.stringify(stored));
    const server = await startLocalSageMaker({
      dataDir: rig.project.path('.pipeline', 'local'),
      keys: [TEST_KEY],
      fileImages: { roots: [rig.project.dir] },
      stopGraceSeconds: 1,
    });
    rig = connectRig(rig.project, server);
    assert.deepEqual(await storedPids(), [pid], 'the record is in today’s shape');
    assert.deepEqual([...(await answering(5))], [String(pid)]);
  });
});
