// Values for docker's -e and --build-arg travel in the docker CLI's environment, not on its
// command line (readable by any local user in `ps`), except the few names the CLI reads itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerBuildArgs, dockerValues } from '../../src/runtimes/docker/docker-env.js';

describe('dockerValues', () => {
  it('puts names on the command line and values in the environment', () => {
    const values = dockerValues('-e', {
      GH_TOKEN: 'ghp_secret',
      MODE: 'fast',
      PATH: '/opt/bin',
      DOCKER_HOST: 'x',
    });
    assert.deepEqual(values.args, [
      '-e',
      'GH_TOKEN',
      '-e',
      'MODE',
      '-e',
      'PATH=/opt/bin',
      '-e',
      'DOCKER_HOST=x',
    ]);
    assert.deepEqual(values.env, { GH_TOKEN: 'ghp_secret', MODE: 'fast' });
    assert.ok(!values.args.join(' ').includes('ghp_secret'));
    assert.deepEqual(dockerValues('--build-arg', { BASE_IMAGE: 'node:20' }), {
      args: ['--build-arg', 'BASE_IMAGE'],
      env: { BASE_IMAGE: 'node:20' },
    });
  });
});

describe('dockerBuildArgs', () => {
  it('sends the values of --build-arg given in image.build.args through the environment too', () => {
    const values = dockerBuildArgs([
      '--no-cache',
      '--build-arg',
      'TOKEN=ghp_secret_one',
      '--build-arg=OTHER=ghp_secret_two',
      '--build-arg',
      'FROM_ENV',
      '--label=x=y',
    ]);
    assert.deepEqual(values.args, [
      '--no-cache',
      '--build-arg',
      'TOKEN',
      '--build-arg',
      'OTHER',
      '--build-arg',
      'FROM_ENV',
      '--label=x=y',
    ]);
    assert.deepEqual(values.env, { TOKEN: 'ghp_secret_one', OTHER: 'ghp_secret_two' });
  });
});
