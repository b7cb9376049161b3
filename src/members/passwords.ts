/**
 * Member passwords: scrypt (node:crypto) with OWASP's parameters (N=2^15, r=8, p=1), a 16-byte salt and
 * a 32-byte key, stored as the self-describing `scrypt$N$r$p$salt$hash` (base64url) so that stronger
 * parameters later still verify today's hashes. Verification compares in constant time, and a sign-in
 * for an unknown email verifies against a dummy hash so that it costs what a wrong password costs.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ValidationError } from '../core/errors.ts';

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase; bounds the work one request can ask for. */
export const MAX_PASSWORD_LENGTH = 1_024;
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
/** Refuse stored parameters beyond these: a hash string is data, and must not make verification a DoS. */
const MAX_N = 2 ** 20;

function scrypt(password: string, salt: Buffer, keyLength: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, keyLength, o, (error, key) => (error ? reject(error) : resolve(key))));
}
const maxmem = (N: number, r: number): number => 128 * N * r * 2;

/** Throws a 400 saying why when the password is not acceptable. */
export function checkPasswordPolicy(password: unknown): asserts password is string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError('password_too_short', `the password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw new ValidationError('password_too_long', `the password must be at most ${MAX_PASSWORD_LENGTH} characters long`);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = PARAMS;
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: maxmem(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `password` matches `stored`; false for a malformed or unsupported hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every(Number.isSafeInteger) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 16 || expected.length < 16) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;
/** A hash of a random password with today's parameters: what an unknown email is verified against. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
