// Values for `docker run -e` and `docker build --build-arg` go through the docker CLI's own
// environment (`-e NAME` takes NAME's value from it), not its command line, which any local user
// can read in `ps`: a token in a training environment or a build arg stays out of sight. Names the
// docker CLI itself reads (PATH, HOME, DOCKER_*) cannot be passed that way without changing how
// it runs, so those few go on the command line as NAME=VALUE.
const CLI_OWN = /^(PATH|HOME|DOCKER_.*|TMPDIR|XDG_.*)$/;

export interface DockerValues {
  /** `[flag, NAME]` (or `[flag, NAME=VALUE]`) pairs for the command line. */
  args: string[];
  /** The values, for the docker CLI's environment. */
  env: Record<string, string>;
}

export function dockerValues(
  flag: '-e' | '--build-arg',
  values: Readonly<Record<string, string>> = {},
): DockerValues {
  const args: string[] = [];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (CLI_OWN.test(name)) args.push(flag, `${name}=${value}`);
    else {
      args.push(flag, name);
      env[name] = value;
    }
  }
  return { args, env };
}

/**
 * `image.build.args` as docker is given them: a `--build-arg NAME=VALUE` (or `--build-arg=NAME=VALUE`)
 * among them goes through the docker CLI's environment like `image.buildArgs`, so that its value
 * is not on the command line either; every other argument is passed as given.
 */
export function dockerBuildArgs(given: readonly string[]): DockerValues {
  const args: string[] = [];
  const env: Record<string, string> = {};
  for (let index = 0; index < given.length; index++) {
    const arg = given[index] as string;
    let pair: string | undefined;
    if (arg === '--build-arg' && index + 1 < given.length) pair = given[++index];
    else if (arg.startsWith('--build-arg=')) pair = arg.slice('--build-arg='.length);
    else {
      args.push(arg);
      continue;
    }
    const at = (pair as string).indexOf('=');
    if (at <= 0) {
      // `--build-arg NAME` takes NAME from the environment already.
      args.push('--build-arg', pair as string);
      continue;
    }
    const values = dockerValues('--build-arg', {
      [(pair as string).slice(0, at)]: (pair as string).slice(at + 1),
    });
    args.push(...values.args);
    Object.assign(env, values.env);
  }
  return { args, env };
}
