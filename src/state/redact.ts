// Keeps secrets out of everything the pipeline writes (state, run records, logs): values of keys
// that name a secret, and known secret values (credentials from the environment, `${SECRET}`
// interpolations) wherever they appear in a string.

const SECRET_KEY = /secret|password|passwd|token|credential|private[-_]?key|access[-_]?key|api[-_]?key/i;
const SECRET_ENV = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID'];
export const REDACTED = '***';

export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
    const fromEnv = SECRET_ENV.map((name) => env[name]).filter((value): value is string => Boolean(value));
    // Longest first, so that a secret containing another is replaced whole. Very short values
    // would blank out ordinary text and are not secrets worth the name.
    this.secrets = [...new Set([...secrets, ...fromEnv])]
      .filter((s) => s.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let result = value;
    for (const secret of this.secrets) result = result.replaceAll(secret, REDACTED);
    return result;
  }

  value<T>(value: T): T {
    const walk = (node: unknown, key?: string): unknown => {
      if (
        key !== undefined &&
        SECRET_KEY.test(key) &&
        (typeof node === 'string' || typeof node === 'number')
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
