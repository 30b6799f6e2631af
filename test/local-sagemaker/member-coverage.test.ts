// Nothing is accepted and ignored: for every operation the local services implement, every member
// of its input in AWS's model is honoured (and a behaviour test names it) or refused before the
// handler runs; the members table in src/local-sagemaker/README.md is the one the code makes.
// UPDATE_COVERAGE=1 rewrites the table.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { memberCoverage, membersTable } from '../../src/local-sagemaker/member-coverage.js';
import { unhonouredMembers } from '../../src/local-sagemaker/protocol/honoured-members.js';
import type { JsonService } from '../../src/local-sagemaker/protocol/json-service.js';
import { type LocalRig, startLocalRig } from '../rig/local-sagemaker.js';
import { repoRoot } from '../rig/project.js';

const START = '<!-- member-coverage:start (made by test/local-sagemaker/member-coverage.test.ts) -->';
const END = '<!-- member-coverage:end -->';

/** A request holding one member: `A[].B` with value v is { A: [{ B: v }] }. */
function requestWith(path: string, value: unknown): Record<string, unknown> {
  const [head = '', ...rest] = path.split('.');
  const list = head.endsWith('[]');
  const name = list ? head.slice(0, -2) : head;
  const inner = rest.length === 0 ? value : requestWith(rest.join('.'), value);
  return { [name]: list ? [inner] : inner };
}

/** Whether a member path is one of the model's, for the operation's input. */
function modelHas(service: JsonService, operation: string, path: string): boolean {
  const { shapes, operations } = service.model;
  let shape = shapes[operations[operation]?.input?.shape ?? ''];
  for (const part of path.split('.')) {
    const list = part.endsWith('[]');
    const ref = shape?.members?.[list ? part.slice(0, -2) : part];
    if (!ref) return false;
    shape = shapes[ref.shape];
    if (list) {
      if (shape?.type !== 'list' || !shape.member) return false;
      shape = shapes[shape.member.shape];
    }
  }
  return true;
}

describe('the members every implemented operation honours or refuses', () => {
  let rig: LocalRig;
  let services: readonly JsonService[];
  before(async () => {
    rig = await startLocalRig();
    services = rig.server.services;
  });
  after(() => rig.close());

  it('names members of the model only, each honoured one named by a behaviour test', async () => {
    const tests = await Promise.all(
      (await readdir(join(repoRoot, 'test'), { recursive: true }))
        .filter((file) => file.endsWith('.test.ts') && !file.includes('member-coverage'))
        .map((file) => readFile(join(repoRoot, 'test', file), 'utf8')),
    );
    const named = tests.join('\n');
    for (const service of services)
      for (const [operation, handler] of Object.entries(service.operations)) {
        assert.ok(handler.honoured, `${operation} has no list of honoured members`);
        for (const entry of handler.honoured) {
          const path = entry.split('=')[0] as string;
          assert.ok(modelHas(service, operation, path), `${operation}: ${path} is not a member of its input`);
          const leaf = (path.split('.').at(-1) as string).replace('[]', '');
          assert.ok(named.includes(leaf), `${operation}: no test names ${leaf}`);
        }
      }
  });

  it('refuses every member of the model it does not honour, and passes every one it does', () => {
    let refusedCount = 0;
    for (const service of services)
      for (const [operation, handler] of Object.entries(service.operations)) {
        const { honoured, refused } = memberCoverage(service.model, operation, handler.honoured ?? []);
        for (const path of refused) {
          const found = unhonouredMembers(requestWith(path, 'x'), honoured);
          assert.deepEqual(
            found.map(({ member }) => member.replace(/\[0\]/g, '[]')),
            [path],
            `${operation}: ${path} is not refused`,
          );
          refusedCount++;
        }
        for (const entry of honoured) {
          const [path = '', values] = entry.split('=');
          const value = values ? values.split('|')[0] : 'x';
          assert.deepEqual(
            unhonouredMembers(requestWith(path, value), honoured),
            [],
            `${operation}: ${path}`,
          );
        }
      }
    assert.ok(refusedCount > 50, `only ${refusedCount} members refused: the walk stopped short`);
  });

  it('is the table in src/local-sagemaker/README.md', async () => {
    const file = join(repoRoot, 'src', 'local-sagemaker', 'README.md');
    const readme = await readFile(file, 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    const table = membersTable(services);
    if (
      process.env.UPDATE_COVERAGE &&
      (start < 0 || readme.slice(start + START.length, end).trim() !== table)
    ) {
      const section = `${START}\n${table}\n${END}`;
      await writeFile(
        file,
        start < 0
          ? `${readme.trimEnd()}\n\n## Members honoured and refused\n\n${section}\n`
          : `${readme.slice(0, start)}${section}${readme.slice(end + END.length)}`,
      );
      return;
    }
    assert.ok(start >= 0 && end > start, `${file} has no ${START} ... ${END} section`);
    assert.equal(readme.slice(start + START.length, end).trim(), table, 'run with UPDATE_COVERAGE=1');
  });
});
