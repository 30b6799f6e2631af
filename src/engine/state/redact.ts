// Keeps secrets out of everything the pipeline writes (state, run records, logs): values of keys
// that name a secret, and known secret values (credentials from the environment, `${SECRET}`
// interpolations) wherever they appear in a string. Digests of secrets (secret-digest.ts) are
// kept as they are: they hold no secret, and fingerprints are compared through them.
import { AWS_SECRET_VARIABLES, mapLeaves, REDACTED } from '../config/secret-names.js';
import { isSecretDigest, MIN_SECRET_LENGTH } from '../plan/secret-digest.js';

export { REDACTED };

export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
    const fromEnv = AWS_SECRET_VARIABLES.map((name) => env[name]).filter((value): value is string =>
      Boolean(value),
    );
    // Longest first, so that a secret containing another is replaced whole. Very short values
    // would blank out ordinary text and are not secrets worth the name.
    this.secrets = [...new Set([...secrets, ...fromEnv])]
      .filter((s) => s.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let result = value;
    for (const secret of this.secrets) result = result.replaceAll(secret, REDACTED);
    return result;
  }

  value<T>(value: T): T {
    return mapLeaves(value, (leaf, secretKey) => {
      if (isSecretDigest(leaf)) return leaf;
      if (secretKey && leaf !== null && leaf !== undefined) return REDACTED;
      return typeof leaf === 'string' ? this.text(leaf) : leaf;
    }) as T;
  }
}
