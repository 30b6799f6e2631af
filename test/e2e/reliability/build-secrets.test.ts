// Build secrets stay secret: a secret written into image.build.args (which reach docker's command
// line, readable by every local user in `ps`) is refused, unless it is a --build-arg (whose value
// goes through docker's environment); a build secret whose variable is not set is a config error,
// not a build that goes on without it; and the value a build secret names is redacted from what
// the build prints (here the context's own `npm run build`, which sees the environment).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withProject } from '../../rig/project.js';

const config = (build: string, runtime = 'docker') => `name: build-secrets
runtime: ${runtime}
image:
  name: build-secrets
  context: container
  dockerfile: container/Dockerfile
  build:
${build}
data:
  training:
    path: data/train.csv
deploy:
  instanceType: ml.m5.large
`;

describe('build secrets', () => {
  it('refuses a secret in image.build.args, at its line, without quoting it', async () => {
    await withProject(
      { 'pipeline.yaml': config('    args: ["--no-cache", "--label=token=${API_TOKEN}"]') },
      async (project) => {
        const result = await project.run(['validate'], { env: { API_TOKEN: 'tok-fake-1234567890' } });
        assert.equal(result.exitCode, 2, result.stdout + result.stderr);
        assert.match(result.stderr, /pipeline\.yaml:8:\d+/);
        assert.match(
          result.stderr,
          /holds a secret.*readable by every local user in `ps`.*image\.build\.secrets/,
        );
        assert.ok(!result.stderr.includes('tok-fake-1234567890'));
      },
    );
  });

  it('takes a secret given as --build-arg in image.build.args (its value goes through the environment)', async () => {
    await withProject(
      {
        'pipeline.yaml': config('    args: ["--no-cache", "--build-arg=TOKEN=${API_TOKEN}"]'),
      },
      async (project) => {
        const result = await project.run(['validate'], { env: { API_TOKEN: 'tok-fake-1234567890' } });
        assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      },
    );
  });

  it('refuses a build secret whose environment variable is not set', async () => {
    await withProject(
      { 'pipeline.yaml': config('    secrets:\n      - id: licence\n        env: LICENCE_KEY_FOR_BUILD') },
      async (project) => {
        const unset = await project.run(['validate'], { env: { LICENCE_KEY_FOR_BUILD: '' } });
        assert.equal(unset.exitCode, 2, unset.stdout + unset.stderr);
        assert.match(unset.stderr, /pipeline\.yaml:10:\d+/);
        assert.match(
          unset.stderr,
          /build secret "licence" reads the environment variable LICENCE_KEY_FOR_BUILD, which is not set/,
        );
        const set = await project.run(['validate'], {
          env: { LICENCE_KEY_FOR_BUILD: 'licence-fake-value-42' },
        });
        assert.equal(set.exitCode, 0, set.stdout + set.stderr);
      },
    );
  });

  it('redacts a build secret’s value (from a variable and from a file) when the build prints it', async () => {
    await withProject(
      {
        'pipeline.yaml': config(
          '    secrets:\n      - id: licence\n        env: LICENCE_KEY_FOR_BUILD\n      - id: cert\n        src: cert.txt',
          'process',
        ),
        'cert.txt': 'cert-fake-content-0987654321\n',
        'container/package.json': JSON.stringify({
          name: 'prints-its-secrets',
          version: '1.0.0',
          scripts: { build: 'echo "licence: $LICENCE_KEY_FOR_BUILD"; cat ../cert.txt' },
        }),
        'container/train': '#!/bin/sh\nexit 0\n',
        'container/serve': '#!/bin/sh\nexit 0\n',
      },
      async (project) => {
        const { chmod } = await import('node:fs/promises');
        await chmod(project.path('container', 'train'), 0o755);
        await chmod(project.path('container', 'serve'), 0o755);
        const result = await project.run(['run', '--to', 'build', '--verbose'], {
          real: true,
          env: { LICENCE_KEY_FOR_BUILD: 'licence-fake-value-42' },
        });
        const output = result.stdout + result.stderr;
        assert.equal(result.exitCode, 0, output);
        assert.match(output, /licence: \*\*\*\n/, 'the build printed it, redacted');
        assert.ok(!output.includes('licence-fake-value-42'), output);
        assert.ok(!output.includes('cert-fake-content-0987654321'), output);
      },
    );
  });
});
