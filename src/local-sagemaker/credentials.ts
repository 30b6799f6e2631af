// The key pair a local SageMaker accepts. The background daemon of a project keeps its pair in
// .pipeline/local/credentials.json, readable by its owner only: the CLI reads it there, and another
// user of the machine cannot, so they cannot sign a request to it.
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AccessKey } from './protocol/sigv4.js';

export const credentialsFile = (dataDir: string): string => join(dataDir, 'credentials.json');

const KEY_ID = /^[A-Z0-9]{16,128}$/;

/** A fresh pair shaped as AWS's are: a 20-character key id and a 40-character secret. */
export function newAccessKey(): AccessKey {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(16)].map((byte) => alphabet[byte % 32]).join('');
  return {
    accessKeyId: `LSIA${id}`,
    secretAccessKey: randomBytes(30).toString('base64').replace(/\+/g, 'a').replace(/\//g, 'b'),
  };
}

function parseKey(text: string, file: string): AccessKey {
  const value = JSON.parse(text) as Partial<AccessKey>;
  if (
    typeof value.accessKeyId !== 'string' ||
    !KEY_ID.test(value.accessKeyId) ||
    typeof value.secretAccessKey !== 'string' ||
    value.secretAccessKey.length < 16
  )
    throw new Error(
      `${file} does not hold a key pair ({"accessKeyId": ..., "secretAccessKey": ...}): delete it and a new pair is made`,
    );
  return { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey };
}

/** The pair in `file`, if there is one; its mode is made owner-only if it was wider. */
export async function readCredentials(file: string): Promise<AccessKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  return parseKey(text, file);
}

/** The pair in `file`, made (owner-only, never over another's) when there is none. */
export async function ensureCredentials(file: string): Promise<AccessKey> {
  const existing = await readCredentials(file);
  if (existing) return existing;
  await mkdir(dirname(file), { recursive: true });
  const key = newAccessKey();
  // Written whole beside it, then linked into place: a reader never sees half a file, and a pair
  // another process made in between stands.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(key, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return ensureCredentials(file);
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}
