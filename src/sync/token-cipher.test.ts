import { createCipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenCipher, dataFolderOf, deriveTokenKey, KEY_FILE_NAME, loadTokenKey, TokenKeyChangedError } from './token-cipher.ts';

const TOKEN = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0';
const SECRET = 'correct-horse-battery-staple-0123456789';
const WS = 'ws_0123456789abcdef';

/** A value as Cohort sealed tokens before issue 16 (v1: no associated data), written independently of the module. */
function sealV1(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
}

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'cohort-cipher-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('token cipher (AES-256-GCM)', () => {
  const cipher = createTokenCipher(deriveTokenKey(SECRET));

  it('round-trips, in the v2:<iv>:<tag>:<ciphertext> format, without the token in the clear', () => {
    const stored = cipher.encrypt(TOKEN, WS);
    expect(cipher.isLegacy(stored)).toBe(false);
    expect(stored).toMatch(/^v2:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    const [, iv, tag] = stored.split(':');
    expect(Buffer.from(iv!, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64')).toHaveLength(16);
    expect(stored).not.toContain(TOKEN);
    expect(cipher.decrypt(stored, WS)).toBe(TOKEN);
    expect(cipher.decrypt(cipher.encrypt('', WS), WS)).toBe('');
    expect(cipher.decrypt(cipher.encrypt('ünïcødé ✓', WS), WS)).toBe('ünïcødé ✓');
  });

  it('binds the ciphertext to its workspace: sealed for one, it does not open for another', () => {
    const stored = cipher.encrypt(TOKEN, WS);
    for (const other of ['ws_fedcba9876543210', `${WS}x`, WS.slice(0, -1), '']) {
      expect(() => cipher.decrypt(stored, other), other).toThrow(TokenKeyChangedError);
    }
    expect(cipher.decrypt(stored, WS)).toBe(TOKEN);
  });

  it('still opens a v1 value (sealed before tokens were bound to a workspace), and calls it legacy', () => {
    const v1 = sealV1(deriveTokenKey(SECRET), TOKEN);
    expect(cipher.isLegacy(v1)).toBe(true);
    expect(cipher.decrypt(v1, WS)).toBe(TOKEN);
    expect(() => createTokenCipher(deriveTokenKey(`${SECRET}-rotated`)).decrypt(v1, WS)).toThrow(TokenKeyChangedError);
    // A v2 value relabelled v1 (to shed its binding) does not open.
    expect(() => cipher.decrypt(cipher.encrypt(TOKEN, WS).replace(/^v2:/, 'v1:'), WS)).toThrow(TokenKeyChangedError);
  });

  it('uses a fresh IV every time: one token encrypts to different strings', () => {
    const a = cipher.encrypt(TOKEN, WS);
    const b = cipher.encrypt(TOKEN, WS);
    expect(a).not.toBe(b);
    expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
  });

  const flip = (b64: string): string => {
    const bytes = Buffer.from(b64, 'base64');
    bytes[0] = bytes[0]! ^ 0x01;
    return bytes.toString('base64');
  };
  it.each([
    ['ciphertext', 3],
    ['tag', 2],
    ['iv', 1],
  ])('refuses a tampered %s', (_part, index) => {
    const parts = cipher.encrypt(TOKEN, WS).split(':');
    parts[index] = flip(parts[index]!);
    expect(() => cipher.decrypt(parts.join(':'), WS)).toThrow(TokenKeyChangedError);
  });

  it.each(['', 'plain-token', 'v2:a:b:c', 'v3:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA', 'v1:only:three', 'v1:AAAA:AAAA:AAAA'])('refuses a malformed stored value %j', (stored) => {
    expect(() => cipher.decrypt(stored, WS)).toThrow(TokenKeyChangedError);
  });

  it('with another key, fails with an error that names the cause and carries no secret', () => {
    const stored = cipher.encrypt(TOKEN, WS);
    const other = createTokenCipher(deriveTokenKey(`${SECRET}-rotated`));
    let caught: unknown;
    try {
      other.decrypt(stored, WS);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TokenKeyChangedError);
    const e = caught as TokenKeyChangedError;
    expect(e.code).toBe('secret_key_changed');
    expect(e.message).toMatch(/encryption key changed/);
    expect(e.message).toMatch(/reconnect TikTok/);
    for (const secret of [TOKEN, SECRET, stored]) expect(e.message).not.toContain(secret);
  });

  it('derives a stable 32-byte key with HKDF-SHA256 (different secrets, different keys)', () => {
    expect(deriveTokenKey(SECRET)).toHaveLength(32);
    expect(deriveTokenKey(SECRET).equals(deriveTokenKey(SECRET))).toBe(true);
    expect(deriveTokenKey(SECRET).equals(deriveTokenKey(`${SECRET}x`))).toBe(false);
    expect(() => createTokenCipher(Buffer.alloc(16))).toThrow(RangeError);
  });
});

describe('token key', () => {
  it('COHORT_SECRET_KEY wins and no file is written', () => {
    const dir = tempDir();
    const key = loadTokenKey({ secretKey: SECRET, dataFolder: dir });
    expect(key).toMatchObject({ source: 'COHORT_SECRET_KEY', path: null, created: false });
    expect(key.key.equals(deriveTokenKey(SECRET))).toBe(true);
    expect(() => statSync(join(dir, KEY_FILE_NAME))).toThrow();
  });

  it('without it, creates <data folder>/secret.key once with mode 0600 and reuses it on later starts', () => {
    const dir = join(tempDir(), 'nested', 'data');
    const warnings: string[] = [];
    const first = loadTokenKey({ secretKey: undefined, dataFolder: dir, warn: (m) => warnings.push(m) });
    expect(first).toMatchObject({ source: 'key_file', path: join(dir, KEY_FILE_NAME), created: true });
    expect(first.key).toHaveLength(32);
    if (process.platform !== 'win32') {
      expect(statSync(first.path!).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o077).toBe(0); // the folders it created: owner only
    }

    const stored = createTokenCipher(first.key).encrypt(TOKEN, WS);
    const second = loadTokenKey({ secretKey: undefined, dataFolder: dir, warn: (m) => warnings.push(m) });
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
    expect(createTokenCipher(second.key).decrypt(stored, WS)).toBe(TOKEN);
    expect(warnings).toEqual([]);
    expect(readFileSync(first.path!, 'utf8')).not.toContain(TOKEN);
  });

  // Windows has no POSIX permission bits to make a file readable by others; Cohort's machines are Linux.
  it.skipIf(process.platform === 'win32')('warns (without the key) when the file is readable by others', () => {
    const dir = tempDir();
    const { path, key } = loadTokenKey({ secretKey: undefined, dataFolder: dir });
    chmodSync(path!, 0o644);
    const warnings: { message: string; fields: Record<string, unknown> }[] = [];
    const again = loadTokenKey({ secretKey: undefined, dataFolder: dir, warn: (message, fields) => warnings.push({ message, fields }) });
    expect(again.key.equals(key)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/readable by other users.*chmod 600/);
    expect(warnings[0]!.fields).toEqual({ path, mode: '0644' });
    expect(JSON.stringify(warnings)).not.toContain(key.toString('base64'));
  });

  it('refuses a key file that does not hold 32 bytes, naming the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, KEY_FILE_NAME), 'too-short\n', { mode: 0o600 });
    expect(() => loadTokenKey({ secretKey: undefined, dataFolder: dir })).toThrow(/secret\.key does not hold a 32-byte base64 key/);
  });

  it.each([
    ['./data/cohort.db', resolve('data')],
    ['/var/lib/cohort/c.db', '/var/lib/cohort'],
    ['sqlite:///tmp/x/c.db', '/tmp/x'],
    [':memory:', resolve('data')],
    ['postgres://u@h/db', resolve('data')],
    ['postgresql://u@h/db', resolve('data')],
  ])('the data folder of %s is %s', (url, folder) => {
    expect(dataFolderOf(url)).toBe(folder);
  });
});
