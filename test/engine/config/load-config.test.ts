// Config loading: every problem reported at once, each at its file:line:col.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { formatDiagnostic } from '../../../src/engine/config/diagnostic.js';
import { loadConfig } from '../../../src/engine/config/load-config.js';
import { parseYamlCached } from '../../../src/engine/config/parse-cache.js';
import { parseYamlWithPositions } from '../../../src/engine/config/yaml-source.js';
import { BASE_CONFIG, TestProject } from '../../rig/project.js';

describe('loadConfig', () => {
  // A project of its own for each case: nothing one writes (a parse cache, an included file) is
  // seen by another.
  let project: TestProject;
  beforeEach(async () => {
    project = await TestProject.create();
  });
  afterEach(async () => {
    await project.remove();
  });

  const load = async (
    yaml: string,
    options: {
      environment?: string;
      sets?: string[];
      env?: Record<string, string>;
      parseCacheFile?: string;
      schemaCacheFile?: string;
    } = {},
  ) => {
    await project.write({ 'pipeline.yaml': yaml });
    return loadConfig({
      file: project.path('pipeline.yaml'),
      cwd: project.dir,
      ...options,
      env: options.env ?? {},
    });
  };
  const problems = (result: Awaited<ReturnType<typeof load>>) => {
    assert.equal(result.ok, false, 'expected the config to be rejected');
    if (result.ok) return [];
    return result.error.diagnostics.map((d) => formatDiagnostic(d, result.error.sources).split('\n')[0]);
  };

  it('fills in the schema defaults', async () => {
    const result = await load(BASE_CONFIG);
    assert.ok(result.ok);
    const { config } = result.value;
    assert.equal(config.target, 'local');
    assert.equal(config.runtime, 'auto');
    assert.equal(config.image.tag, 'latest');
    assert.equal(config.training.instanceCount, 1);
    assert.equal(config.training.maxRuntimeSeconds, 86400);
    assert.equal(config.training.spot.enabled, false);
    assert.equal(config.deploy.variantName, 'AllTraffic');
    assert.equal(config.data.training?.distribution, 'FullyReplicated');
  });

  it('reports a YAML syntax error at its line and column', async () => {
    const found = problems(await load('name: rig\nimage:\n  name: [unclosed\n'));
    assert.equal(found.length, 1);
    assert.match(
      found[0] ?? '',
      /^pipeline\.yaml:4:1: Flow sequence in block collection must be sufficiently indented/,
    );
  });

  it('reports a duplicate key', async () => {
    const found = problems(await load(`${BASE_CONFIG}name: again\n`));
    assert.match(found[0] ?? '', /^pipeline\.yaml:\d+:1: Map keys must be unique/);
  });

  it('reports every schema problem in one go, sorted by line', async () => {
    const yaml = BASE_CONFIG.replace('epochs: 3', 'epochs: [1]')
      .replace('\ntraining:\n', '\ntraining:\n  instanceCount: 0\n  hyperparameter: {}\n')
      .replace('instanceType: ml.m5.large', 'instanceType: m5.large');
    const found = problems(await load(`${yaml}target: lcoal\n`));
    assert.deepEqual(found, [
      'pipeline.yaml:10:18: training.instanceCount must be >= 1',
      'pipeline.yaml:11:3: unknown key "hyperparameter" in training; did you mean "hyperparameters"?',
      'pipeline.yaml:13:13: training.hyperparameters.epochs must be string or number or boolean, not [1]',
      'pipeline.yaml:16:17: deploy.instanceType "m5.large" is not valid: it must match ^ml\\.[a-z0-9]+\\.[a-z0-9]+$ (an ML instance type such as ml.m5.large)',
      'pipeline.yaml:17:9: target must be one of "local", "aws", not "lcoal"; did you mean "local"?',
    ]);
  });

  it('shows the offending line under the message', async () => {
    const result = await load(BASE_CONFIG.replace('name: rig-image', 'nme: rig-image'));
    assert.equal(result.ok, false);
    if (result.ok) return;
    const text = result.error.diagnostics.map((d) => formatDiagnostic(d, result.error.sources)).join('\n');
    assert.match(
      text,
      /pipeline\.yaml:3:3: unknown key "nme" in image; did you mean "name"\?\n {2}3 \| {3}nme: rig-image\n {4}\| {3}\^\^\^/,
    );
    assert.match(text, /pipeline\.yaml:2:1: image is missing the required key "name"/);
  });

  it('interpolates ${VAR} and ${VAR:-default}, typing whole-value expansions', async () => {
    const yaml = BASE_CONFIG.replace('epochs: 3', 'epochs: ${EPOCHS}').replace(
      '\ntraining:\n',
      '\ntraining:\n  instanceCount: ${COUNT:-2}\n  instanceType: ml.${FAMILY:-m5}.large\n',
    );
    const result = await load(yaml, { env: { EPOCHS: '300' } });
    assert.ok(result.ok);
    assert.equal(result.value.config.training.hyperparameters.epochs, 300);
    assert.equal(result.value.config.training.instanceCount, 2);
    assert.equal(result.value.config.training.instanceType, 'ml.m5.large');
  });

  it('points at a missing variable', async () => {
    const found = problems(await load(BASE_CONFIG.replace('epochs: 3', 'epochs: ${EPOCHS}')));
    assert.deepEqual(found, [
      'pipeline.yaml:11:13: environment variable EPOCHS is not set (give a default with ${EPOCHS:-value})',
    ]);
  });

  it('keeps "$${" as a literal and rejects a malformed reference', async () => {
    const ok = await load(BASE_CONFIG.replace('epochs: 3', () => 'epochs: "$${NOT_A_VAR}"'));
    assert.ok(ok.ok);
    assert.equal(ok.value.config.training.hyperparameters.epochs, '${NOT_A_VAR}');
    const found = problems(await load(BASE_CONFIG.replace('epochs: 3', 'epochs: "${1BAD}"')));
    assert.match(found[0] ?? '', /"\$\{1BAD\}" is not a variable reference/);
  });

  it('applies a named environment over the base, and reports problems at the override', async () => {
    const yaml = `${BASE_CONFIG}environments:\n  prod:\n    training:\n      instanceCount: 4\n      instanceType: gpu\n`;
    const base = await load(yaml.replace('      instanceType: gpu\n', ''));
    assert.ok(base.ok);
    assert.equal(base.value.config.training.instanceCount, 1);
    const prod = await load(yaml.replace('      instanceType: gpu\n', ''), { environment: 'prod' });
    assert.ok(prod.ok);
    assert.equal(prod.value.config.training.instanceCount, 4);
    assert.equal(prod.value.config.training.hyperparameters.epochs, 3, 'objects merge key by key');
    const broken = problems(await load(yaml, { environment: 'prod' }));
    assert.match(broken[0] ?? '', /^pipeline\.yaml:19:21: training\.instanceType "gpu" is not valid/);
    const unknown = problems(await load(yaml, { environment: 'staging' }));
    assert.deepEqual(unknown, ['no environment "staging" in pipeline.yaml: known environments are prod']);
  });

  it('applies --set overrides with YAML scalar types, and blames the argument', async () => {
    const result = await load(BASE_CONFIG, {
      sets: ['training.hyperparameters.epochs=300', 'deploy.endpointName=my-ep'],
    });
    assert.ok(result.ok);
    assert.equal(result.value.config.training.hyperparameters.epochs, 300);
    assert.equal(result.value.config.deploy.endpointName, 'my-ep');
    const found = problems(await load(BASE_CONFIG, { sets: ['training.instanceCount=many', 'oops'] }));
    assert.deepEqual(found, [
      '--set oops: expected --set path.to.key=value',
      '--set training.instanceCount=many: training.instanceCount must be integer, not "many"',
    ]);
  });

  it('refuses a --set value that starts like a list but is not one, or is too large a number', async () => {
    const found = problems(
      await load(BASE_CONFIG, {
        sets: [
          'training.hyperparameters.epochs=[1,2',
          'training.hyperparameters.epochs=1e400',
          'training.environment.API_TOKEN={oops',
        ],
      }),
    );
    assert.equal(found.length, 3, found.join('\n'));
    const expected = [
      /^--set training\.environment\.API_TOKEN=\*\*\*: .*not a valid YAML list or map/,
      /epochs=1e400: training\.hyperparameters\.epochs: 1e400 is too large for a number/,
      /epochs=\[1,2: .*not a valid YAML list or map.*put it in quotes/,
    ];
    for (const pattern of expected)
      assert.ok(
        found.some((line) => pattern.test(line ?? '')),
        `${pattern}\n${found.join('\n')}`,
      );
    assert.ok(!found.join('\n').includes('oops'), "a secret-named key's value is not shown");
    const quoted = await load(BASE_CONFIG, { sets: ['training.environment.NOTE="[1,2"'] });
    assert.ok(quoted.ok && quoted.value.config.training.environment.NOTE === '[1,2');
  });

  it('reads a quoted --set value as YAML does: a string without its quotes', async () => {
    const result = await load(BASE_CONFIG, {
      sets: [
        'image.tag="2024"',
        "training.environment.VERSION='1.10'",
        'training.environment.SAID="it\'s \\"x\\""',
      ],
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.error.diagnostics));
    assert.equal(result.value.config.image.tag, '2024');
    assert.equal(result.value.config.training.environment.VERSION, '1.10');
    assert.equal(result.value.config.training.environment.SAID, 'it\'s "x"');
    const broken = problems(await load(BASE_CONFIG, { sets: ['image.tag="2024'] }));
    assert.match(broken[0] ?? '', /--set image\.tag="2024: image\.tag: "2024 is not one quoted string/);
  });

  it('bounds what it reads: a deep --set path, thousands of --set, a huge file, an alias expanded past reason', async () => {
    const deep = problems(await load(BASE_CONFIG, { sets: [`${'a.'.repeat(10_000)}b=1`] }));
    assert.equal(deep.length, 1);
    assert.match(deep[0] ?? '', /is 10001 keys deep: at most 32/);
    assert.ok((deep[0] ?? '').length < 400, 'the argument is not repeated whole');
    const many = problems(
      await load(BASE_CONFIG, { sets: Array.from({ length: 1001 }, () => 'image.tag=x') }),
    );
    assert.deepEqual(many, [
      '1001 --set options: at most 1000 (put settings in pipeline.yaml or an environment)',
    ]);
    const huge = problems(await load(`${BASE_CONFIG}${'# padding\n'.repeat(30_000)}`));
    assert.match(huge[0] ?? '', /^pipeline\.yaml:\d+:1: pipeline\.yaml is \d+ KiB, and passes 256 KiB/);
    const list = `[${Array.from({ length: 300 }, (_, i) => `"--label=a${i}"`).join(', ')}]`;
    const aliased = BASE_CONFIG.replace(
      'image:\n',
      `x-labels: &labels ${list}\nimage:\n  build:\n    args: [${Array.from({ length: 90 }, () => '*labels').join(', ')}]\n`,
    );
    const expanded = problems(await load(aliased));
    assert.match(
      expanded[0] ?? '',
      /holds more than 20,000 settings and values once its aliases are expanded/,
    );
  });

  it('reports a data path that does not exist at the key that names it', async () => {
    const found = problems(await load(BASE_CONFIG.replace('data/train.csv', 'data/missing.csv')));
    assert.deepEqual(found, [
      'pipeline.yaml:8:11: data channel "training" path "data/missing.csv" does not exist',
    ]);
  });

  it('checks settings that depend on each other', async () => {
    const yaml = BASE_CONFIG.replace(
      '\ntraining:\n',
      '\ntraining:\n  maxRuntimeSeconds: 3600\n  spot:\n    enabled: true\n    maxWaitSeconds: 60\n',
    );
    const found = problems(await load(`${yaml}target: aws\n`));
    assert.deepEqual(found, [
      'pipeline.yaml:1:1: target "aws" needs aws.roleArn, the SageMaker execution role',
      'pipeline.yaml:1:1: target "aws" needs aws.bucket for data and model artifacts',
      'pipeline.yaml:13:21: training.spot.maxWaitSeconds (60) must be at least training.maxRuntimeSeconds (3600)',
    ]);
  });

  it('keeps a parse cache, as the CLI asks, once .pipeline/cache exists; exact for any text, never stale', async () => {
    const cacheFile = project.path('.pipeline/cache/parsed-config.v8');
    await rm(project.path('.pipeline'), { recursive: true, force: true });
    const withEpochs = (epochs: string) => BASE_CONFIG.replace('epochs: 3', `epochs: ${epochs}`);
    const loadCached = (yaml: string) => load(yaml, { parseCacheFile: cacheFile });
    const first = await loadCached(withEpochs('3'));
    assert.equal(first.ok, true);
    assert.equal(existsSync(cacheFile), false, 'no cache before anything has run');

    await mkdir(project.path('.pipeline/cache'), { recursive: true });
    const parsed = await loadCached(withEpochs('3'));
    assert.ok(existsSync(cacheFile));
    const cached = await loadCached(withEpochs('3'));
    assert.deepEqual(cached, parsed);
    assert.ok(cached.ok && cached.value.positions.get('/training/hyperparameters/epochs')?.value);

    const edited = await loadCached(withEpochs('4'));
    assert.ok(edited.ok && edited.value.config.training.hyperparameters.epochs === 4);
    await writeFile(cacheFile, 'not a cache entry');
    const afterDamage = await loadCached(withEpochs('5'));
    assert.ok(afterDamage.ok && afterDamage.value.config.training.hyperparameters.epochs === 5);
    const broken = await loadCached(`${BASE_CONFIG}extra: [unclosed\n`);
    assert.equal(broken.ok, false, 'a cached error is still an error');
    assert.deepEqual(problems(await loadCached(`${BASE_CONFIG}extra: [unclosed\n`)), problems(broken));

    // Values JSON cannot carry come back as the parser made them.
    const odd = 'a: .inf\nb: .nan\nc: ~\nd: [1, "x"]\n';
    const fresh = await parseYamlWithPositions(odd, 'odd.yaml');
    await parseYamlCached(odd, 'odd.yaml', cacheFile);
    assert.deepEqual(await parseYamlCached(odd, 'odd.yaml', cacheFile), fresh);
    assert.ok(Number.isNaN((fresh.value as { b: number }).b));
  });

  it('keeps the schema check of a valid config: the same config with its defaults, never a secret, never stale', async () => {
    const cacheFile = project.path('.pipeline/cache/checked-config.v8');
    await mkdir(project.path('.pipeline/cache'), { recursive: true });
    const withEpochs = (epochs: string) => BASE_CONFIG.replace('epochs: 3', `epochs: ${epochs}`);
    const loadCached = (yaml: string, options: { env?: Record<string, string>; sets?: string[] } = {}) =>
      load(yaml, { ...options, schemaCacheFile: cacheFile });
    const fresh = await load(withEpochs('3'));
    const first = await loadCached(withEpochs('3'));
    assert.ok(existsSync(cacheFile), 'a valid config is kept');
    const cached = await loadCached(withEpochs('3'));
    assert.ok(fresh.ok && first.ok && cached.ok);
    // The defaults the schema fills in come back as the check made them.
    assert.deepEqual(cached.value.config, fresh.value.config);
    assert.equal(cached.value.config.deploy.strategy, 'gated');

    // Another value, another --set: checked again, never the old answer.
    const edited = await loadCached(withEpochs('4'));
    assert.ok(edited.ok && edited.value.config.training.hyperparameters.epochs === 4);
    const set = await loadCached(withEpochs('3'), { sets: ['training.instanceCount=2'] });
    assert.ok(set.ok && set.value.config.training.instanceCount === 2);
    const invalid = await loadCached(withEpochs('3'), { sets: ['training.instanceCount=0'] });
    assert.equal(invalid.ok, false, 'a config with problems is checked every time');

    // A config holding a secret value is checked, and never written down.
    const secret = 'do-not-write-me-7f3a';
    // deploy.environment (the last section of BASE_CONFIG), its value from the environment.
    const withSecret = `${withEpochs('3')}  environment:\n    API_TOKEN: \${API_TOKEN}\n`;
    const loaded = await loadCached(withSecret, { env: { API_TOKEN: secret } });
    assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.error.diagnostics));
    assert.ok(!(await readFile(cacheFile)).includes(secret), 'no secret in the cache');

    await writeFile(cacheFile, 'not a cache');
    const afterDamage = await loadCached(withEpochs('5'));
    assert.ok(afterDamage.ok && afterDamage.value.config.training.hyperparameters.epochs === 5);
  });
});
