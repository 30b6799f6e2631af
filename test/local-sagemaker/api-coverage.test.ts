// The API coverage table of docs/local-sagemaker.md and of src/local-sagemaker/README.md is the one the code and AWS's models make: an operation added
// (or removed) without the table changing fails here. UPDATE_COVERAGE=1 rewrites the table.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { coverageTable } from '../../src/local-sagemaker/api-coverage.js';
import { loadServiceModel } from '../../src/shared/service-model.js';
import { startLocalRig } from '../rig/local-sagemaker.js';
import { repoRoot } from '../rig/project.js';

const START = '<!-- api-coverage:start (made by test/local-sagemaker/api-coverage.test.ts) -->';
const END = '<!-- api-coverage:end -->';

describe('the API coverage table', () => {
  it('in the READMEs is the one the server and the service models make', async () => {
    const rig = await startLocalRig();
    try {
      const table = coverageTable(rig.server.services, await loadServiceModel('sagemaker-runtime'));
      for (const readmeFile of [
        join(repoRoot, 'docs', 'local-sagemaker.md'),
        join(repoRoot, 'src', 'local-sagemaker', 'README.md'),
      ]) {
        const readme = await readFile(readmeFile, 'utf8');
        const start = readme.indexOf(START);
        const end = readme.indexOf(END);
        assert.ok(start >= 0 && end > start, `${readmeFile} has no ${START} ... ${END} section`);
        const current = readme.slice(start + START.length, end).trim();
        if (process.env.UPDATE_COVERAGE && current !== table)
          await writeFile(
            readmeFile,
            `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`,
          );
        else
          assert.equal(
            current,
            table,
            `${readmeFile}: run the test with UPDATE_COVERAGE=1 to rewrite the table`,
          );
      }
    } finally {
      await rig.close();
    }
  });
});
