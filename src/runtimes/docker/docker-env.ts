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
