// The images a Dockerfile builds FROM (its ARG defaults and the build arguments applied, earlier
// stages and `scratch` left out), and what to tell a user whose engine cannot pull one: behind a
// company proxy, on an air-gapped runner, or a machine that reaches no registry at all, the
// default base image is the first thing a build needs and cannot have.

/** The external images of a Dockerfile's FROM lines, in order. */
export function baseImagesOf(dockerfile: string, buildArgs: Readonly<Record<string, string>> = {}): string[] {
  const defaults: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  // Continuation lines joined, comments dropped: one instruction per line.
  const lines = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  let seenFrom = false;
  for (const line of lines) {
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/i.exec(line);
    // Only the ARGs before the first FROM may be used in FROM lines.
    if (arg && !seenFrom) {
      const [, name = '', value] = arg;
      if (value !== undefined) defaults[name] = value.trim().replace(/^(["'])(.*)\1$/, '$2');
      continue;
    }
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) continue;
    seenFrom = true;
    const [, reference = '', alias] = from;
    const image = reference.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
        const name = (braced ?? bare) as string;
        return buildArgs[name] ?? defaults[name] ?? fallback ?? '';
      },
    );
    if (image !== '' && image.toLowerCase() !== 'scratch' && !stages.has(image.toLowerCase()))
      images.push(image);
    if (alias) stages.add(alias.toLowerCase());
  }
  return [...new Set(images)];
}

/** Words docker uses when a registry cannot be reached or does not have an image. */
export const REGISTRY_TROUBLE =
  /failed to resolve source metadata|pull access denied|manifest (for \S+ )?(unknown|not found)|repository does not exist|error pinging v2 registry|Get "https?:\/\/[^"]+\/v2\/|no such host|dial tcp|i\/o timeout|TLS handshake timeout|connection refused|x509: |server misbehaving/i;

/** What to do about a base image this machine's docker engine cannot have. */
export function baseImageAdvice(image: string): string {
  return [
    `The base image ${image} is not on this machine, and docker cannot pull it (no registry reachable: a proxy, an air-gapped runner, a private registry that needs \`docker login\`). Any one of these fixes it:`,
    `  - build or load a base image locally (\`docker load\`, \`docker import\`, or a build from Debian's packages) and name it in image.buildArgs.BASE_IMAGE (\`docker image ls\` lists what this engine has);`,
    '  - point docker at a registry mirror it can reach (registry-mirrors in /etc/docker/daemon.json), or log in to your registry;',
    '  - set `runtime: process` in pipeline.yaml to run the programs without docker (target local only).',
  ].join('\n');
}
