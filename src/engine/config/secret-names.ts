// Which names stand for secrets: environment variables interpolated into pipeline.yaml, and keys
// of the config (an `environment:` entry, a build arg). A name is split into its words
// (GITHUB_TOKEN → github token, apiKey → api key), so that `max_tokens` or `tokenizer` are not
// secrets but `HF_TOKEN`, `dbPassword` and `STRIPE_API_KEY` are.

/** One word that makes a name secret. */
const SECRET_WORDS = new Set([
  'secret',
  'secrets',
  'password',
  'passwd',
  'token',
  'credential',
  'credentials',
]);
/** Two words in a row that make a name secret. */
const SECRET_PAIRS = new Set(['private key', 'access key', 'api key', 'secret key', 'auth key']);

/** What pipeline writes in place of a secret. */
export const REDACTED = '***';

/** Credentials the AWS SDK reads from the environment: secret wherever they appear. */
export const AWS_SECRET_VARIABLES = [
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ACCESS_KEY_ID',
] as const;

function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function looksSecret(name: string): boolean {
  const words = wordsOf(name);
  for (const [index, word] of words.entries()) {
    if (SECRET_WORDS.has(word)) return true;
    const next = words[index + 1];
    if (next !== undefined && SECRET_PAIRS.has(`${word} ${next}`)) return true;
  }
  return false;
}

/**
 * The values of the config's secret-named keys (`environment: {DB_PASSWORD: ...}`), wherever they
 * are, including ones given with `--set`: they are redacted from text like interpolated secrets.
 * The top-level `secrets:` list holds variable names, not secrets.
 */
export function secretValuesByKey(config: unknown): string[] {
  const found: string[] = [];
  if (config && typeof config === 'object' && !Array.isArray(config)) {
    for (const [key, child] of Object.entries(config)) {
      if (key === 'secrets') continue;
      mapLeaves(
        child,
        (leaf, secretKey) => {
          if (secretKey && (typeof leaf === 'string' || typeof leaf === 'number')) found.push(String(leaf));
          return leaf;
        },
        key,
      );
    }
  }
  return found;
}

/** A leaf of a JSON value: what redaction and digesting look at. */
export type JsonLeaf = string | number | boolean | null | undefined;

/**
 * A copy of a JSON value with each leaf replaced by `replace`, which is told whether the leaf's
 * key names a secret (a list item has no key of its own). The one walk that redaction (state,
 * records), digesting (fingerprints) and finding secret-keyed values share.
 */
export function mapLeaves(
  value: unknown,
  replace: (leaf: JsonLeaf, secretKey: boolean) => unknown,
  key?: string,
): unknown {
  if (Array.isArray(value)) return value.map((item) => mapLeaves(item, replace));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapLeaves(v, replace, k)]));
  }
  return replace(value as JsonLeaf, key !== undefined && looksSecret(key));
}

/** Names listed under the config's top-level `secrets:`, as written (before validation). */
export function declaredSecretNames(config: unknown): Set<string> {
  const list = config && typeof config === 'object' ? (config as { secrets?: unknown }).secrets : undefined;
  return new Set(Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : []);
}
