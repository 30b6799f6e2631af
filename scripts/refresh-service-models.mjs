// Refreshes service-models/: AWS's own API models of the services the local SageMaker speaks
// (SageMaker, the SageMaker runtime, CloudWatch Logs, ECR), from botocore's data folder (the
// models the aws CLI and boto3 use; Apache-2.0, see service-models/NOTICE). The aws-sdk v2 npm
// package ships the same models with their constraints (patterns, enums, lengths, ranges) removed,
// so botocore is the source. Documentation is dropped; everything the validator and the response
// checks read is kept as AWS wrote it.
//
//   node scripts/refresh-service-models.mjs [BOTOCORE_DATA_DIR]
//
// Without an argument it looks for botocore's data where python3 or the Debian awscli package
// keeps it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const SERVICES = [
  { folder: 'sagemaker', version: '2017-07-24' },
  { folder: 'sagemaker-runtime', version: '2017-05-13' },
  { folder: 'logs', version: '2014-03-28' },
  { folder: 'ecr', version: '2015-09-21' },
];

function botocoreDataDirs() {
  const found = [];
  if (process.argv[2]) found.push(process.argv[2]);
  try {
    const python = execFileSync(
      'python3',
      ['-c', 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ).trim();
    if (python) found.push(python);
  } catch {
    // No botocore for python3: try the awscli package's copy.
  }
  found.push(
    '/usr/lib/python3/dist-packages/awscli/botocore/data',
    '/usr/lib/python3/dist-packages/botocore/data',
  );
  return found;
}

function readModel(dirs, { folder, version }) {
  for (const dir of dirs) {
    const plain = join(dir, folder, version, 'service-2.json');
    if (existsSync(plain)) return { model: JSON.parse(readFileSync(plain, 'utf8')), from: plain };
    if (existsSync(`${plain}.gz`))
      return {
        model: JSON.parse(gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8')),
        from: `${plain}.gz`,
      };
  }
  throw new Error(`no botocore model of ${folder} ${version} in: ${dirs.join(', ')}`);
}

/** The model without its prose: `documentation` strings and URLs, nothing the checks read. */
function withoutDocumentation(value) {
  if (Array.isArray(value)) return value.map(withoutDocumentation);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(
        ([key, member]) =>
          !(['documentation', 'documentationUrl'].includes(key) && typeof member === 'string'),
      )
      .map(([key, member]) => [key, withoutDocumentation(member)]),
  );
}

const dirs = botocoreDataDirs();
for (const service of SERVICES) {
  const { model, from } = readModel(dirs, service);
  const out = join('service-models', `${service.folder}-${service.version}.json`);
  writeFileSync(out, `${JSON.stringify(withoutDocumentation(model))}\n`);
  process.stdout.write(`${out} <- ${from} (${Object.keys(model.operations).length} operations)\n`);
  process.stdout.write('(record the botocore version in service-models/NOTICE)\n');
}
