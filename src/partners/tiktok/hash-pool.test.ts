import { afterAll, describe, expect, it } from 'vitest';
import { hexOf } from '../../core/digest-rows.ts';
import { inlineHasher, threadHasher, type IdentifierInput } from './hash-pool.ts';
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

  it('a worker thread hashes exactly as the step would, in order', async () => {
    await pool.warm(); // until the thread has loaded, hashMany answers inline
    const rowsOf = (table: Awaited<ReturnType<typeof pool.hashMany>>) => inputs.map((_, row) => hexOf({ table, row }));
    expect(rowsOf(await pool.hashMany(inputs, FIELDS, 'FR'))).toEqual(expected);
    expect(rowsOf(await inlineHasher().hashMany(inputs, FIELDS, 'FR'))).toEqual(expected);
    // Only the step's fields, in its order; a chunk of 10,000 comes back whole.
    const many = Array.from({ length: 10_000 }, (_, i) => ({ email: `u${i}@example.com`, phone: null, idfa: null, gaid: null, country: null }));
    const out = await pool.hashMany(many, ['email'], null);
    expect(out.at).toHaveLength(10_000);
    expect(out.bytes).toHaveLength(10_000 * 32);
    expect(hexOf({ table: out, row: 9_999 })).toEqual({ email: sha256Hex('u9999@example.com') });
  });
});
