// Fingerprints must see a secret change without holding the secret: every config value that is
// or contains a secret becomes "(secret 1a2b…)", an HMAC-SHA256 of the value under a key kept in
// .pipeline/secret-key (never committed, never printed). The same secret gives the same digest
// run after run, so an unchanged secret leaves its stages up to date; a changed one shows only as
// "(secret changed)". The key stops a leaked state file from being used to guess short secrets.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import { looksSecret } from '../config/secret-names.js';

const DIGEST = /^\(secret [0-9a-f]{16}\)$/;
/** What an older pipeline wrote in place of a secret: also compared as "a secret". */
const LEGACY_REDACTED = '***';
/** Values shorter than this are not searched for inside strings (they would match ordinary text). */
export const MIN_SECRET_LENGTH = 4;

export const isSecretDigest = (value: unknown): boolean =>
  typeof value === 'string' && (DIGEST.test(value) || value === LEGACY_REDACTED);

export class SecretDigester {
  private readonly secrets: string[];

  constructor(
    private readonly key: Buffer,
    secrets: readonly string[],
  ) {
    this.secrets = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH);
  }

  digest(value: string): string {
    return `(secret ${createHmac('sha256', this.key).update(value).digest('hex').slice(0, 16)})`;
  }

  private holdsSecret(text: string): boolean {
    return this.secrets.some((secret) => text.includes(secret));
  }

  /** A copy of a JSON value with every secret leaf (by its key, or by what it holds) digested. */
  mask<T>(value: T): T {
    const walk = (node: unknown, key: string | undefined): unknown => {
      const secretKey = key !== undefined && looksSecret(key);
      if (typeof node === 'string') return secretKey || this.holdsSecret(node) ? this.digest(node) : node;
      if (typeof node === 'number' || typeof node === 'boolean')
        return secretKey ? this.digest(String(node)) : node;
      if (Array.isArray(node)) return node.map((item) => walk(item, undefined));
      if (node && typeof node === 'object') {
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
      }
      return node;
    };
    return walk(value, undefined) as T;
  }
}

export const secretKeyFile = pipelinePaths.secretKey;

/**
 * The project's digest key. `create: false` (read-only commands) uses a throw-away key when there
 * is none yet: nothing recorded can have been digested with a key that never existed.
 */
export async function loadSecretKey(stateDir: string, options: { create: boolean }): Promise<Buffer> {
  const file = secretKeyFile(stateDir);
  const existing = await readKey(file);
  if (existing instanceof Buffer) return existing;
  const key = randomBytes(32);
  if (!options.create) return key;
  await mkdir(stateDir, { recursive: true });
  const text = `${key.toString('hex')}\n`;
  if (existing === 'damaged') {
    // Replaced: secrets then show as changed once, and their stages run again.
    await writeFile(file, text, { mode: 0o600 });
    return key;
  }
  try {
    // `wx`: two runs starting together agree on the first key written.
    await writeFile(file, text, { flag: 'wx', mode: 0o600 });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readKey(file);
    return written instanceof Buffer ? written : key;
  }
}

async function readKey(file: string): Promise<Buffer | 'missing' | 'damaged'> {
  try {
    const hex = (await readFile(file, 'utf8')).trim();
    return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : 'damaged';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}
