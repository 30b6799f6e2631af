// A processing job with a docker image, as SageMaker Processing runs one: `docker run IMAGE` runs
// the image's ENTRYPOINT with ContainerArguments, and ContainerEntrypoint replaces it; the inputs
// and outputs are the container's /opt/ml/processing paths.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateProcessingJobCommand,
  type CreateProcessingJobCommandInput,
  DescribeProcessingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { leftoverContainers, requireDocker, TEST_BASE_IMAGE } from '../rig/docker.js';
import { type LocalRig, putObjects, ROLE, startLocalRig } from '../rig/local-sagemaker.js';
import { waitFor } from '../rig/project.js';

const IMAGE = 'pipeline-test/processing:local';

// Counts the rows of its input; which program ran (and with what) goes into the output.
const PROGRAM = (who: string) => `const fs = require('node:fs');
const rows = fs.readFileSync('/opt/ml/processing/input/raw/rows.csv', 'utf8').split('\\n').filter(Boolean);
fs.writeFileSync('/opt/ml/processing/output/summary/summary.txt', '${who} ' + process.argv.slice(2).join(' ') + ': ' + rows.length + ' rows\\n');
`;

describe('a processing job on a docker image', () => {
  let rig: LocalRig;
  before(async () => {
    rig = await startLocalRig({ stopGraceSeconds: 1 });
    await putObjects(rig.s3, 'processing', { 'raw/rows.csv': '1,2\n3,4\n5,6\n' });
  });
  after(async () => {
    await rig?.close();
    assert.deepEqual(await leftoverContainers(), [], 'no container is left');
  });

  const request = (
    name: string,
    app: CreateProcessingJobCommandInput['AppSpecification'],
  ): CreateProcessingJobCommandInput => ({
    ProcessingJobName: name,
    RoleArn: ROLE,
    AppSpecification: app,
    ProcessingResources: {
      ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
    },
    ProcessingInputs: [
      {
        InputName: 'raw',
        S3Input: {
          S3Uri: 's3://processing/raw/',
          LocalPath: '/opt/ml/processing/input/raw',
          S3DataType: 'S3Prefix',
          S3InputMode: 'File',
        },
      },
    ],
    ProcessingOutputConfig: {
      Outputs: [
        {
          OutputName: 'summary',
          S3Output: {
            S3Uri: `s3://processing/out/${name}`,
            LocalPath: '/opt/ml/processing/output/summary',
            S3UploadMode: 'EndOfJob',
          },
        },
      ],
    },
  });
  const summaryOf = async (name: string) => {
    const job = await waitFor(
      async () => {
        const described = await rig.sagemaker.send(
          new DescribeProcessingJobCommand({ ProcessingJobName: name }),
        );
        return ['Completed', 'Failed', 'Stopped'].includes(described.ProcessingJobStatus ?? '')
          ? described
          : undefined;
      },
      `processing job ${name}`,
      60,
    );
    assert.equal(job.ProcessingJobStatus, 'Completed', job.FailureReason);
    const object = await rig.s3.send(
      new GetObjectCommand({ Bucket: 'processing', Key: `out/${name}/summary.txt` }),
    );
    return object.Body?.transformToString();
  };

  it('runs the image’s ENTRYPOINT with the arguments, or ContainerEntrypoint instead', async (t) => {
    if (!(await requireDocker(t))) return;
    const context = rig.project.path('processing-image');
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'entry.js'), PROGRAM('entrypoint'));
    await writeFile(join(context, 'other.js'), PROGRAM('other'));
    await writeFile(
      join(context, 'Dockerfile'),
      `FROM ${TEST_BASE_IMAGE}\nCOPY entry.js other.js /opt/program/\nENTRYPOINT ["node", "/opt/program/entry.js"]\n`,
    );
    await execa('docker', ['build', '--quiet', '--tag', IMAGE, context]);

    await rig.sagemaker.send(
      new CreateProcessingJobCommand(
        request('by-entrypoint', { ImageUri: IMAGE, ContainerArguments: ['--fraction', '0.2'] }),
      ),
    );
    assert.equal(await summaryOf('by-entrypoint'), 'entrypoint --fraction 0.2: 3 rows\n');

    await rig.sagemaker.send(
      new CreateProcessingJobCommand(
        request('by-override', {
          ImageUri: IMAGE,
          ContainerEntrypoint: ['node', '/opt/program/other.js'],
          ContainerArguments: ['x'],
        }),
      ),
    );
    assert.equal(await summaryOf('by-override'), 'other x: 3 rows\n');
  });
});
