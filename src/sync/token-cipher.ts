/**
 * Encryption at rest for TikTok access tokens (spec §1 "an encrypted access token"): AES-256-GCM with a
 * fresh random 12-byte IV per encryption, stored as one string `v2:<iv b64>:<tag b64>:<ciphertext b64>`.
 * `v2` binds the ciphertext to its workspace (the workspace id is GCM's associated data), so a sealed
 * token copied into another workspace's row does not open there: it reads as undecryptable and the
 * connection as needing a reconnect. `v1` (before issue 16: no associated data) still opens, for any
 * workspace, and `isLegacy` tells the caller to seal it again as `v2`.
 *
 * The key comes from COHORT_SECRET_KEY when set, else from `<data folder>/secret.key` (32 random bytes,
 * created once with mode 0600 and reused on later starts). COHORT_SECRET_KEY is turned into 32 bytes
 * with HKDF-SHA256: the setting is a random secret of at least 32 characters (an input key, not a
 * password), for which an extract-and-expand KDF is the fitting tool; it is deterministic, costs nothing
 * at start, and its `info` label ties the derived key to this one purpose. A human passphrase would call
 * for scrypt instead; that would be a new format, not a change to an existing one.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CohortError } from '../core/errors.ts';
import { isPostgresUrl, sqlitePath } from '../store/connect.ts';

const FORMAT = 'v2';
const LEGACY_FORMAT = 'v1';
/** What `v2` authenticates besides the token: the workspace it belongs to, under a label of its own. */
const associatedData = (workspaceId: string): Buffer => Buffer.from(`cohort/tiktok-access-token/workspace\u0000${workspaceId}`, 'utf8');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HKDF_SALT = 'cohort';
const HKDF_INFO = 'cohort/tiktok-access-token/aes-256-gcm/v1';
export const KEY_FILE_NAME = 'secret.key';

/** A stored token that this process cannot decrypt: the key changed (or the stored value was altered). */
export class TokenKeyChangedError extends CohortError {
  constructor() {
    super(
      'secret_key_changed',
      'the stored TikTok token cannot be decrypted: the encryption key changed (COHORT_SECRET_KEY or the data folder\'s secret.key is not the one it was stored with), or the stored value was altered or copied from another workspace; reconnect TikTok to store a new token',
    );
  }
}

export interface TokenCipher {
  /** Sealed for `workspaceId` (v2). A new random IV every call: encrypting one token twice gives two different strings. */
  encrypt(plain: string, workspaceId: string): string;
  /**
   * Opens a v2 value sealed for `workspaceId`, or a v1 value. Throws TokenKeyChangedError when the key
   * does not match, the value was tampered with, or it was sealed for another workspace.
   */
  decrypt(stored: string, workspaceId: string): string;
  /** True for a value of the format before v2, which the caller should seal again. */
  isLegacy(stored: string): boolean;
}

export function createTokenCipher(key: Buffer): TokenCipher {
  if (key.length !== KEY_BYTES) throw new RangeError(`the token key must be ${KEY_BYTES} bytes, got ${key.length}`);
  return {
    encrypt(plain, workspaceId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(associatedData(workspaceId));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [FORMAT, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
    },
    decrypt(stored, workspaceId) {
      const parts = stored.split(':');
      if (parts.length !== 4 || (parts[0] !== FORMAT && parts[0] !== LEGACY_FORMAT)) throw new TokenKeyChangedError();
      const [format, ivText, tagText, ciphertextText] = parts as [string, string, string, string];
      const iv = Buffer.from(ivText, 'base64');
      const tag = Buffer.from(tagText, 'base64');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new TokenKeyChangedError();
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        if (format === FORMAT) decipher.setAAD(associatedData(workspaceId));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64')), decipher.final()]).toString('utf8');
      } catch {
        // GCM cannot tell a wrong key from altered bytes or another workspace's; a changed key is the likeliest.
        throw new TokenKeyChangedError();
      }
    },
    isLegacy: (stored) => stored.startsWith(`${LEGACY_FORMAT}:`),
  };
}

/** HKDF-SHA256 of COHORT_SECRET_KEY (see the module comment for why HKDF). Pure. */
export function deriveTokenKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), HKDF_SALT, HKDF_INFO, KEY_BYTES));
}

/** The data folder: the SQLite file's folder, or `./data` for PostgreSQL (and an in-memory SQLite). */
export function dataFolderOf(databaseUrl: string): string {
  if (isPostgresUrl(databaseUrl)) return resolve('data');
  const path = sqlitePath(databaseUrl);
  return path === ':memory:' ? resolve('data') : dirname(resolve(path));
}

export interface TokenKey {
  key: Buffer;
  source: 'COHORT_SECRET_KEY' | 'key_file';
  /** The key file, when the key came from one. */
  path: string | null;
  /** True when this call created the key file. */
  created: boolean;
}

/**
 * The key: derived from `secretKey` when given, else read from (or created once in) `<dataFolder>/secret.key`.
 * `warn` is told (without the key) when the file is readable by group or others. Idempotent: a second
 * call, or a second process starting at the same moment, reads the same file.
 */
export function loadTokenKey(p: { secretKey: string | undefined; dataFolder: string; warn?: (message: string, fields: Record<string, unknown>) => void }): TokenKey {
  if (p.secretKey !== undefined) return { key: deriveTokenKey(p.secretKey), source: 'COHORT_SECRET_KEY', path: null, created: false };
  const path = join(p.dataFolder, KEY_FILE_NAME);
  let created = false;
  if (!existsSync(path)) created = createKeyFile(path);
  if (process.platform !== 'win32') {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      p.warn?.('the TikTok token key file is readable by other users; run chmod 600 on it', { path, mode: `0${mode.toString(8)}` });
    }
  }
  return { key: readKeyFile(path), source: 'key_file', path, created };
}

/** Writes 32 random bytes to a temporary file (0600) and links it into place, so no reader sees half a key. */
function createKeyFile(path: string): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 }); // as the database's folder (store/file-mode.ts)
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600); // the umask may have narrowed it further, never widened it; make it exact
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false; // another process won the race: use its key
    throw error;
  } finally {
    unlinkSync(tmp);
  }
}

function readKeyFile(path: string): Buffer {
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new CohortError('secret_key_file_invalid', `${path} does not hold a ${KEY_BYTES}-byte base64 key; restore it, or set COHORT_SECRET_KEY (stored TikTok tokens then need a reconnect)`);
  }
  return key;
}
