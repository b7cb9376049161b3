import { afterAll, describe, expect, it } from 'vitest';
import { decodeHashes, encodeHashes, inlineHasher, threadHasher, type IdentifierInput } from './hash-pool.ts';
import { hashProfileIdentifiers, sha256Hex, type IdentifierField } from './identifiers.ts';

const FIELDS: IdentifierField[] = ['email', 'phone', 'idfa', 'gaid'];
// Every kind of value: usable, unusable, missing, already hashed, a phone read in the profile's or the default country.
const inputs: IdentifierInput[] = [
  { email: ' Ann@Example.com ', phone: '+1 (555) 555-0100', idfa: null, gaid: null, country: null },
  { email: 'not an email', phone: '020 7946 0018', idfa: '00000000-0000-0000-0000-000000000000', gaid: 'ABC-def', country: 'GB' },
  { email: null, phone: '0612345678', idfa: null, gaid: null, country: null },
  { email: sha256Hex('x@y.example').toUpperCase(), phone: null, idfa: '6D92078A-8246-4BA4-AE5B-76104861E7DC', gaid: null, country: null },
  { email: '', phone: 'ext. 12', idfa: null, gaid: null, country: null },
];
const expected = inputs.map((p) => hashProfileIdentifiers(p, FIELDS, 'FR').hashes);

describe('identifier hashing for many users', () => {
  const pool = threadHasher(1);
  afterAll(() => pool.close());

  it('round-trips hashes through the one-string wire format, unusable fields included', () => {
    expect(decodeHashes(encodeHashes(expected, FIELDS), expected.length, FIELDS)).toEqual(expected);
    expect(() => decodeHashes(encodeHashes(expected, FIELDS) + '-', expected.length, FIELDS)).toThrow(/does not match/);
  });

  it('a worker thread hashes exactly as the step would, in order', async () => {
    await pool.warm(); // until the thread has loaded, hashMany answers inline
    expect(await pool.hashMany(inputs, FIELDS, 'FR')).toEqual(expected);
    expect(await inlineHasher().hashMany(inputs, FIELDS, 'FR')).toEqual(expected);
    // Only the step's fields, in its order; a chunk of 10,000 comes back whole.
    const many = Array.from({ length: 10_000 }, (_, i) => ({ email: `u${i}@example.com`, phone: null, idfa: null, gaid: null, country: null }));
    const out = await pool.hashMany(many, ['email'], null);
    expect(out).toHaveLength(10_000);
    expect(out[9_999]).toEqual({ email: sha256Hex('u9999@example.com') });
  });
});
