import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  unhonouredMembers,
  unhonouredMessage,
} from '../../../src/local-sagemaker/protocol/honoured-members.js';

const HONOURED = [
  'Name',
  'Tags',
  'Resource.InstanceType',
  'Resource.InstanceCount=1',
  'Channels[].Name',
  'Channels[].Mode=File|FastFile',
];

describe('the members an operation honours', () => {
  it('passes what is honoured, whole or walked into, and the values honoured', () => {
    const input = {
      Name: 'job',
      Tags: [{ Key: 'a', Value: 'b' }],
      Resource: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      Channels: [{ Name: 'train', Mode: 'FastFile' }, { Name: 'test' }],
      Ignored: undefined,
    };
    assert.deepEqual(unhonouredMembers(input, HONOURED), []);
  });

  it('names every other member, with the index of its list element, and every other value', () => {
    const input = {
      Name: 'job',
      Checkpoint: { S3Uri: 's3://b/c' },
      Resource: { InstanceType: 'ml.m5.large', InstanceCount: 2, KeepAlive: 60 },
      Channels: [{ Name: 'train' }, { Name: 'test', Mode: 'Pipe', Shuffle: { Seed: 1 } }],
    };
    const found = unhonouredMembers(input, HONOURED);
    assert.deepEqual(found, [
      { member: 'Checkpoint' },
      { member: 'Resource.InstanceCount', value: '2', honouredValues: ['1'] },
      { member: 'Resource.KeepAlive' },
      { member: 'Channels[1].Mode', value: 'Pipe', honouredValues: ['File', 'FastFile'] },
      { member: 'Channels[1].Shuffle' },
    ]);
    assert.equal(
      unhonouredMessage(found.slice(0, 2), 'the local SageMaker'),
      'Checkpoint and Resource.InstanceCount 2 (it runs 1) are not supported by the local SageMaker; remove them, or use target aws',
    );
  });

  it('refuses every member of an operation that honours none', () => {
    assert.deepEqual(unhonouredMembers({ registryIds: ['1'] }, []), [{ member: 'registryIds' }]);
    assert.deepEqual(unhonouredMembers({}, []), []);
  });
});
