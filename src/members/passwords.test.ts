import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.ts';
import { checkPasswordPolicy, dummyHash, hashPassword, verifyPassword } from './passwords.ts';

describe('members: passwords', () => {
  it('hashes with scrypt as a self-describing string with a fresh salt, and verifies', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
  });

  it('refuses malformed hashes and parameters that would make verification a denial of service', async () => {
    const good = await hashPassword('correct horse');
    const [, , r, p, salt, key] = good.split('$');
    for (const bad of ['', 'plain', `bcrypt$32768$${r}$${p}$${salt}$${key}`, `scrypt$${2 ** 24}$${r}$${p}$${salt}$${key}`, `scrypt$1000$${r}$${p}$${salt}$${key}`, `scrypt$32768$${r}$${p}$$${key}`]) {
      expect(await verifyPassword('correct horse', bad), bad).toBe(false);
    }
  });

  it('says the minimum length in the refusal', () => {
    expect(() => checkPasswordPolicy('short')).toThrow(ValidationError);
    expect(() => checkPasswordPolicy('short')).toThrow(/at least 8 characters/);
    expect(() => checkPasswordPolicy(12345678)).toThrow(/at least 8/);
    expect(() => checkPasswordPolicy('12345678')).not.toThrow();
  });

  it('has a dummy hash that verifies nothing a user could type', async () => {
    expect(await verifyPassword('password', await dummyHash())).toBe(false);
  });
});
