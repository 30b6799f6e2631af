// Secrets in fingerprints: digested by key name or by content, stable for one key, never the
// value; a change is said as "(secret changed)" with no value on either side.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { looksSecret } from '../../../src/engine/config/secret-names.js';
import { loadSecretKey, SecretDigester, secretKeyFile } from '../../../src/engine/plan/secret-digest.js';
import { describeReason, diffSnapshots } from '../../../src/engine/plan/stale-reason.js';

const KEY = Buffer.alloc(32, 7);

describe('secret names', () => {
  it('are told by their words, not by substrings', () => {
    for (const name of [
      'GITHUB_TOKEN',
      'HF_TOKEN',
      'dbPassword',
      'STRIPE_API_KEY',
      'AWS_SECRET_ACCESS_KEY',
      'privateKey',
    ])
      assert.ok(looksSecret(name), name);
    for (const name of ['max_tokens', 'tokenizer', 'BASE_IMAGE', 'keyword', 'epochs', 'accessibility'])
      assert.ok(!looksSecret(name), name);
  });
});

describe('SecretDigester', () => {
  const digester = new SecretDigester(KEY, ['ghp_secret123', 'pw99']);

  it('digests values under secret keys and strings that hold a secret, and nothing else', () => {
    const masked = digester.mask({
      environment: { GH: 'ghp_secret123', DB_URL: 'postgres://app:ghp_secret123@db/x', PLAIN: 'hello' },
      hyperparameters: { api_token: 12345, epochs: 3, max_tokens: 512 },
      list: ['ghp_secret123', 'x'],
    });
    const text = JSON.stringify(masked);
    assert.ok(!text.includes('ghp_secret123') && !text.includes('12345'), text);
    assert.equal(masked.environment.PLAIN, 'hello');
    assert.equal(masked.hyperparameters.epochs, 3);
    assert.equal(masked.hyperparameters.max_tokens, 512);
    assert.match(String(masked.environment.GH), /^\(secret [0-9a-f]{16}\)$/);
    assert.notEqual(masked.environment.GH, masked.environment.DB_URL);
    assert.equal(masked.list[1], 'x');
  });

  it('gives the same digest for the same secret and key, another for another key', () => {
    const again = new SecretDigester(KEY, ['ghp_secret123']);
    assert.equal(again.digest('ghp_secret123'), digester.digest('ghp_secret123'));
    const otherKey = new SecretDigester(Buffer.alloc(32, 8), ['ghp_secret123']);
    assert.notEqual(otherKey.digest('ghp_secret123'), digester.digest('ghp_secret123'));
  });

  it('makes a changed secret a reason without either value', () => {
    const snapshot = (token: string) => ({
      stageVersion: 1,
      config: new SecretDigester(KEY, [token]).mask({ training: { environment: { GH: token } } }),
      files: {},
      upstream: {},
    });
    const reasons = diffSnapshots(snapshot('ghp_before111'), snapshot('ghp_after2222'));
    assert.deepEqual(reasons, [{ kind: 'secret-changed', key: 'training.environment.GH' }]);
    assert.equal(describeReason(reasons[0] as never), 'training.environment.GH: (secret changed)');
    assert.deepEqual(diffSnapshots(snapshot('ghp_same3333'), snapshot('ghp_same3333')), []);
  });
});

describe('the digest key', () => {
  it('is made once, private to its owner, and kept; a read-only command makes none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secret-key-'));
    try {
      const ephemeral = await loadSecretKey(dir, { create: false });
      assert.equal(ephemeral.length, 32);
      await assert.rejects(stat(secretKeyFile(dir)), { code: 'ENOENT' });
      const made = await loadSecretKey(dir, { create: true });
      assert.equal((await stat(secretKeyFile(dir))).mode & 0o777, 0o600);
      assert.deepEqual(await loadSecretKey(dir, { create: false }), made);
      assert.deepEqual(await loadSecretKey(dir, { create: true }), made);
      await writeFile(secretKeyFile(dir), 'damaged\n');
      const replaced = await loadSecretKey(dir, { create: true });
      assert.equal((await readFile(secretKeyFile(dir), 'utf8')).trim(), replaced.toString('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
