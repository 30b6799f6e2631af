// Keeps secrets out of everything the pipeline writes (state, run records, logs): values of keys
// that name a secret, and known secret values (credentials from the environment, `${SECRET}`
// interpolations) wherever they appear in a string. Digests of secrets (secret-digest.ts) are
// kept as they are: they hold no secret, and fingerprints are compared through them.
import { AWS_SECRET_VARIABLES, looksSecret } from '../config/secret-names.js';
import { isSecretDigest, MIN_SECRET_LENGTH } from '../plan/secret-digest.js';

export const REDACTED = '***';

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
    const walk = (node: unknown, key?: string): unknown => {
      if (isSecretDigest(node)) return node;
      if (
        key !== undefined &&
        looksSecret(key) &&
        (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean')
      ) {
        return REDACTED;
      }
      if (typeof node === 'string') return this.text(node);
      if (Array.isArray(node)) return node.map((item) => walk(item));
      if (node && typeof node === 'object') {
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
      }
      return node;
    };
    return walk(value) as T;
  }
}
