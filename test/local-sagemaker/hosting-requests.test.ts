// Requests the local SageMaker must answer as SageMaker does, found wrong by an adversarial pass:
// several creates of one name at once (one wins, the others are told it exists), an endpoint
// config whose every variant has weight 0 (refused: no request could be routed), tags whose keys
// start with the reserved `aws:` (refused before anything is made), and a list token used with
// another operation or altered (refused: tokens are signed and bound to their call).
import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
} from '@aws-sdk/client-sagemaker';
import { type LocalRig, ROLE, startLocalRig, waitForEndpoint } from '../rig/local-sagemaker.js';

describe('the local SageMaker refuses what SageMaker refuses', () => {
  let rig: LocalRig;
  let image: string;
  before(async () => {
    rig = await startLocalRig();
    // A serve program that fails at once: the endpoints here need not serve.
    await rig.project.write({ 'images/failing/serve': '#!/bin/sh\nexit 1\n' });
    await chmod(rig.project.path('images/failing/serve'), 0o755);
    image = pathToFileURL(rig.project.path('images', 'failing')).href;
  });
  after(() => rig?.close());

  const model = (name: string, extra: object = {}) =>
    rig.sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: image },
        ...extra,
      }),
    );
  const config = (name: string, weights: number[], modelName = 'm-base') =>
    rig.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: weights.map((weight, index) => ({
          VariantName: `v${index}`,
          ModelName: modelName,
          InstanceType: 'ml.t2.medium',
          InitialInstanceCount: 1,
          InitialVariantWeight: weight,
        })),
      }),
    );
  const outcomes = async (calls: Promise<unknown>[]) => {
    const settled = await Promise.allSettled(calls);
    const refused = settled.filter((result) => result.status === 'rejected') as PromiseRejectedResult[];
    for (const { reason } of refused) {
      assert.equal((reason as Error).name, 'ValidationException');
      assert.match((reason as Error).message, /Cannot create already existing/);
    }
    return settled.length - refused.length;
  };

  it('lets one of 16 creates of one name win, for models, configs and endpoints', async () => {
    assert.equal(await outcomes(Array.from({ length: 16 }, () => model('m-base'))), 1);
    assert.equal(await outcomes(Array.from({ length: 16 }, () => config('c-base', [1]))), 1);
    const created = await outcomes(
      Array.from({ length: 16 }, () =>
        rig.sagemaker.send(
          new CreateEndpointCommand({ EndpointName: 'e-race', EndpointConfigName: 'c-base' }),
        ),
      ),
    );
    assert.equal(created, 1);
    await waitForEndpoint(rig.sagemaker, 'e-race');
    await rig.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'e-race' }));
  });

  it('refuses an endpoint config whose every variant has weight 0', async () => {
    await assert.rejects(config('c-zero', [0, 0]), (error: Error) => {
      assert.equal(error.name, 'ValidationException');
      assert.match(error.message, /InitialVariantWeight greater than 0/);
      return true;
    });
    await config('c-one-zero', [0, 1]);
  });

  it('refuses tags with the reserved aws: prefix, and makes nothing', async () => {
    await assert.rejects(model('m-tagged', { Tags: [{ Key: 'aws:owner', Value: 'me' }] }), (error: Error) => {
      assert.equal(error.name, 'ValidationException');
      assert.match(error.message, /reserved for AWS use/);
      return true;
    });
    const models = await rig.sagemaker.send(new ListModelsCommand({ NameContains: 'm-tagged' }));
    assert.deepEqual(models.Models, []);
  });

  it('refuses a list token used with another operation, or altered', async () => {
    for (const name of ['m-page-1', 'm-page-2', 'm-page-3']) await model(name);
    const first = await rig.sagemaker.send(new ListModelsCommand({ MaxResults: 1 }));
    assert.ok(first.NextToken);
    const next = await rig.sagemaker.send(
      new ListModelsCommand({ MaxResults: 1, NextToken: first.NextToken }),
    );
    assert.equal(next.Models?.length, 1);
    await assert.rejects(
      rig.sagemaker.send(new ListEndpointConfigsCommand({ MaxResults: 1, NextToken: first.NextToken })),
      /pagination token is invalid/,
    );
    const [body = ''] = first.NextToken.split('.');
    const forged = `${Buffer.from(JSON.stringify({ offset: 2, query: JSON.parse(Buffer.from(body, 'base64url').toString()).query })).toString('base64url')}.forged`;
    await assert.rejects(
      rig.sagemaker.send(new ListModelsCommand({ MaxResults: 1, NextToken: forged })),
      /pagination token is invalid/,
    );
  });
});
