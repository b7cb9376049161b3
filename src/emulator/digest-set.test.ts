import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet } from './digest-set.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('DigestSet', () => {
  it('adds once, ignores case, finds and deletes members', () => {
    const set = new DigestSet(32);
    expect(set.add(sha('a'))).toBe(true);
    expect(set.add(sha('a').toUpperCase())).toBe(false);
    expect(set.has(sha('a'))).toBe(true);
    expect(set.has(sha('b'))).toBe(false);
    expect(set.size).toBe(1);
    expect(set.delete(sha('b'))).toBe(false);
    expect(set.delete(sha('a').toUpperCase())).toBe(true);
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
  });

  it('agrees with a Set of strings over random adds and deletes, through growth, for digests that are not random', () => {
    // Counters padded to 64 or 32 hex digits: the words differ only at the end, the worst case for a weak hash.
    for (const bytes of [32, 16]) {
      const set = new DigestSet(bytes);
      const reference = new Set<string>();
      let seed = 7;
      const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
      for (let step = 0; step < 60_000; step++) {
        const hex = (next() % 20_000).toString(16).padStart(bytes * 2, '0');
        if (next() % 3 === 0) expect(set.delete(hex)).toBe(reference.delete(hex));
        else expect(set.add(hex)).toBe(!reference.has(hex) && Boolean(reference.add(hex)));
      }
      expect(set.size).toBe(reference.size);
      expect(new Set(set)).toEqual(reference);
      for (const hex of reference) expect(set.has(hex)).toBe(true);
    }
  });

  it('keeps members across its blocks of 32,768 when deletes move the last one into the gap', () => {
    const set = new DigestSet(32);
    const hex = (i: number) => sha(String(i));
    for (let i = 0; i < 70_000; i++) set.add(hex(i));
    for (let i = 0; i < 70_000; i += 3) expect(set.delete(hex(i))).toBe(true); // from the front: every delete moves an entry
    const kept = new Set<string>();
    for (let i = 0; i < 70_000; i++) if (i % 3 !== 0) kept.add(hex(i));
    expect(set.size).toBe(kept.size);
    expect(new Set(set)).toEqual(kept);
    for (let i = 0; i < 70_000; i++) expect(set.has(hex(i))).toBe(i % 3 !== 0);
    const text = Buffer.from(hex(3) + hex(4), 'latin1');
    expect(set.addAt(text, 0)).toBe(true);
    expect(set.addAt(text, 64)).toBe(false);
    expect(set.deleteAt(text, 0)).toBe(true);
  });

  it('refuses a digest of the wrong length', () => {
    expect(() => new DigestSet(32).add('abc')).toThrow(RangeError);
  });
});
