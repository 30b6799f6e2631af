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
  const walk = (node: unknown, key: string | undefined): void => {
    if (key !== undefined && looksSecret(key) && (typeof node === 'string' || typeof node === 'number')) {
      found.push(String(node));
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, undefined);
    } else if (node && typeof node === 'object') {
      for (const [childKey, child] of Object.entries(node)) walk(child, childKey);
    }
  };
  if (config && typeof config === 'object' && !Array.isArray(config)) {
    for (const [key, child] of Object.entries(config)) if (key !== 'secrets') walk(child, key);
  }
  return found;
}

/** Names listed under the config's top-level `secrets:`, as written (before validation). */
export function declaredSecretNames(config: unknown): Set<string> {
  const list = config && typeof config === 'object' ? (config as { secrets?: unknown }).secrets : undefined;
  return new Set(Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : []);
}
