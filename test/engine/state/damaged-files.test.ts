// A corpus of damaged state files and run records: wrong types at each level, missing fields,
// extra nesting, nulls, a folder in place of the file. Each is refused with the file and the
// first wrong place named, never taken for an empty state; a backup is named only when there is
// one and it is valid. Through the CLI, each gives exit code 3.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PipelineState } from '../../../src/engine/state/pipeline-state.js';
import { readRunRecords } from '../../../src/engine/state/run-record.js';
import { readState } from '../../../src/engine/state/state-store.js';
import { withProject } from '../../rig/project.js';

const VALID_STATE: PipelineState = {
  version: 1,
  pipeline: 'rig',
  updatedAt: '2026-11-29T10:00:00.000Z',
  stages: {
    build: {
      lastAttempt: { runId: 'r1', status: 'succeeded', startedAt: 'a', finishedAt: 'b', durationMs: 5 },
      lastSuccess: {
        runId: 'r1',
        fingerprint: 'f'.repeat(64),
        inputs: {
          stageVersion: 1,
          config: { image: { name: 'x' } },
          files: { 'a.txt': 'h', gone: null },
          upstream: {},
        },
        outputs: { imageId: 'sha256:abc' },
        startedAt: 'a',
        finishedAt: 'b',
        durationMs: 5,
      },
    },
  },
};

type Mutation = [name: string, damage: (state: Record<string, unknown>) => unknown, where: RegExp];

/** A copy of the state with the value at a path (["stages", "build", ...]) replaced, or removed. */
function withValue(path: string[], value?: unknown): (state: Record<string, unknown>) => unknown {
  return (state) => {
    let node = state as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path.at(-1) as string;
    if (value === undefined) delete node[last];
    else node[last] = value;
    return state;
  };
}
const build = (...rest: string[]) => ['stages', 'build', ...rest];

const STATE_CORPUS: Mutation[] = [
  ['the document is null', () => null, /at the top level/],
  ['the document is a list', () => [VALID_STATE], /at the top level/],
  ['extra nesting around the document', (s) => ({ state: s }), /at the top level/],
  ['version as a string', withValue(['version'], '1'), /state version 1|\/version/],
  ['pipeline as a number', withValue(['pipeline'], 5), /\/pipeline/],
  ['no stages', withValue(['stages']), /stages/],
  ['stages is a list', withValue(['stages'], []), /\/stages/],
  ['stages is null', withValue(['stages'], null), /\/stages/],
  ['a stage is a string', withValue(build(), 'x'), /\/stages\/build/],
  ['a stage is null', withValue(build(), null), /\/stages\/build/],
  ['lastSuccess is null', withValue(build('lastSuccess'), null), /\/stages\/build\/lastSuccess/],
  ['inputs is null', withValue(build('lastSuccess', 'inputs'), null), /\/lastSuccess\/inputs/],
  ['files is a list', withValue(build('lastSuccess', 'inputs', 'files'), []), /\/inputs\/files/],
  [
    'a file hash is a number',
    withValue(build('lastSuccess', 'inputs', 'files', 'a.txt'), 3),
    /\/files\/a\.txt/,
  ],
  ['config is a string', withValue(build('lastSuccess', 'inputs', 'config'), 'x'), /\/inputs\/config/],
  ['no fingerprint', withValue(build('lastSuccess', 'fingerprint')), /fingerprint/],
  ['outputs is a number', withValue(build('lastSuccess', 'outputs'), 3), /\/lastSuccess\/outputs/],
  ['an unknown attempt status', withValue(build('lastAttempt', 'status'), 'weird'), /\/lastAttempt\/status/],
  ['durationMs as a string', withValue(build('lastAttempt', 'durationMs'), '5'), /\/lastAttempt\/durationMs/],
  ['a handle that is a list', withValue(build('lastAttempt', 'handle'), ['job']), /\/lastAttempt\/handle/],
  [
    'extra nesting inside a stage',
    withValue(build('lastSuccess', 'lastSuccess'), {}),
    /unexpected "lastSuccess"/,
  ],
];

const TEXT_CORPUS: [name: string, text: string, detail: RegExp][] = [
  ['an empty file', '', /empty/],
  ['truncated JSON', JSON.stringify(VALID_STATE).slice(0, 80), /JSON/],
  ['garbage', '\u0000\u0001garbage', /JSON|token/],
];

const damaged = (mutation: Mutation[1]): string =>
  JSON.stringify(mutation(structuredClone(VALID_STATE) as unknown as Record<string, unknown>));

describe('damaged state files', () => {
  it('are each refused, naming the first wrong place, never read as empty', async () => {
    await withProject({}, async (project) => {
      const dir = project.path('.pipeline');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'state.json'), JSON.stringify(VALID_STATE));
      const valid = await readState(dir, 'rig');
      assert.ok(valid.ok, valid.ok ? '' : valid.error.detail);
      const cases: [string, string, RegExp][] = [
        ...STATE_CORPUS.map(([name, mutate, where]): [string, string, RegExp] => [
          name,
          damaged(mutate),
          where,
        ]),
        ...TEXT_CORPUS,
      ];
      for (const [name, text, detail] of cases) {
        await writeFile(join(dir, 'state.json'), text);
        const result = await readState(dir, 'rig');
        assert.ok(!result.ok, `${name}: read as a state`);
        assert.match(result.error.detail, detail, name);
        assert.equal(result.error.file, join(dir, 'state.json'));
        assert.equal(result.error.backup, undefined, `${name}: no backup exists, none may be named`);
      }
    });
  });

  it('names the backup only when it is there and valid', async () => {
    await withProject({}, async (project) => {
      const dir = project.path('.pipeline');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'state.json'), '{');
      await writeFile(
        join(dir, 'state.json.bak'),
        damaged((s) => ({ ...s, stages: [] })),
      );
      const badBackup = await readState(dir, 'rig');
      assert.ok(!badBackup.ok && badBackup.error.backup === undefined);
      await writeFile(join(dir, 'state.json.bak'), JSON.stringify(VALID_STATE));
      const goodBackup = await readState(dir, 'rig');
      assert.ok(!goodBackup.ok && goodBackup.error.backup === join(dir, 'state.json.bak'));
    });
  });

  it('a folder in place of the file is refused too', async () => {
    await withProject({}, async (project) => {
      await mkdir(project.path('.pipeline', 'state.json'), { recursive: true });
      const result = await readState(project.path('.pipeline'), 'rig');
      assert.ok(!result.ok);
      assert.match(result.error.detail, /folder/);
    });
  });

  it('stop every command that reads the state with exit code 3 and the place', async () => {
    await withProject({}, async (project) => {
      await project.write({ '.pipeline/state.json': damaged((s) => ({ ...s, stages: { build: 'x' } })) });
      for (const command of [['run'], ['plan'], ['status'], ['destroy', '--yes']]) {
        const result = await project.run(command);
        assert.equal(result.exitCode, 3, `${command.join(' ')}: ${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /state\.json cannot be used \(at \/stages\/build: must be object\)/);
        assert.match(result.stderr, /There is no usable backup/);
      }
      assert.deepEqual(await project.executions(), [], 'nothing ran');
    });
  });
});

describe('damaged run records', () => {
  const VALID_RECORD = {
    id: '20261129T100000.000Z-abcd',
    pipeline: 'rig',
    status: 'succeeded',
    startedAt: 'a',
    finishedAt: 'b',
    durationMs: 3,
    argv: ['run'],
    target: 'local',
    config: { name: 'rig' },
    stages: { build: { action: 'ran', reasons: [{ kind: 'never-ran' }], durationMs: 3 } },
  };
  const stage = (...rest: string[]) => ['stages', 'build', ...rest];
  const RECORD_CORPUS: Mutation[] = [
    ['null', () => null, /at the top level/],
    ['stages as a list', withValue(['stages'], []), /\/stages/],
    ['a stage as a string', withValue(stage(), 'x'), /\/stages\/build/],
    ['reasons as a string', withValue(stage('reasons'), 'x'), /\/reasons/],
    ['an unknown action', withValue(stage('action'), 'maybe'), /\/action/],
    ['argv of numbers', withValue(['argv'], [1]), /\/argv\/0/],
    ['no id', withValue(['id']), /id/],
    ['an unknown status', withValue(['status'], 'fine'), /\/status/],
    ['extra nesting', (r) => ({ record: r }), /at the top level/],
  ];

  it('are each refused by runs, show and diff with exit code 3, naming the record', async () => {
    await withProject({}, async (project) => {
      const file = `.pipeline/runs/${VALID_RECORD.id}.json`;
      await project.write({ [file]: JSON.stringify(VALID_RECORD) });
      const good = await readRunRecords(project.path('.pipeline'));
      assert.ok(good.ok && good.value.length === 1, JSON.stringify(good));
      for (const [name, mutate, where] of RECORD_CORPUS) {
        await project.write({
          [file]: JSON.stringify(mutate(structuredClone(VALID_RECORD) as Record<string, unknown>)),
        });
        const result = await readRunRecords(project.path('.pipeline'));
        assert.ok(!result.ok, `${name}: read as a record`);
        assert.match(result.error.detail, where, name);
      }
      for (const command of [['runs'], ['show', 'last'], ['diff'], ['runs', '--json']]) {
        const result = await project.run(command);
        assert.equal(result.exitCode, 3, `${command.join(' ')}: ${result.stdout}${result.stderr}`);
        assert.match(
          result.stdout + result.stderr,
          /run record .*20261129T100000\.000Z-abcd\.json cannot be used/,
        );
      }
    });
  });
});
