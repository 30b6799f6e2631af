// Fingerprints must see a secret change without holding the secret: every config value that is
// or contains a secret becomes "(secret 1a2b…)", an HMAC-SHA256 of the value under a key kept in
// .pipeline/secret-key (never committed, never printed). The same secret gives the same digest
// run after run, so an unchanged secret leaves its stages up to date; a changed one shows only as
// "(secret changed)". The key stops a leaked state file from being used to guess short secrets.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { pipelinePaths } from '../../shared/pipeline-paths.js';
import { mapLeaves, REDACTED } from '../config/secret-names.js';

const DIGEST = /^\(secret [0-9a-f]{16}\)$/;
/** Values shorter than this are not searched for inside strings (they would match ordinary text). */
export const MIN_SECRET_LENGTH = 4;

export const isSecretDigest = (value: unknown): boolean =>
  typeof value === 'string' && (DIGEST.test(value) || value === REDACTED);

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
    // A value an older pipeline redacted (`***`) is compared as a secret too (isSecretDigest).
    return mapLeaves(value, (leaf, secretKey) => {
      if (typeof leaf === 'string') return secretKey || this.holdsSecret(leaf) ? this.digest(leaf) : leaf;
      if (typeof leaf === 'number' || typeof leaf === 'boolean')
        return secretKey ? this.digest(String(leaf)) : leaf;
      return leaf;
    }) as T;
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
