import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DigestRows } from '../../core/digest-rows.ts';
import type { IdentifierField } from './identifiers.ts';
import { buildMapping } from './index.ts';
import { encodeMapping } from './mapping-body.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Users with some fields each, as digest rows over one buffer (with unrelated bytes around) and as buildMapping's items. */
function usersOf(n: number, fields: readonly IdentifierField[], seed: string): { rows: DigestRows; items: { hashes: Partial<Record<IdentifierField, string>> }[] } {
  const chunks: Buffer[] = [Buffer.from('not a digest')];
  let offset = chunks[0]!.length;
  const at = new Int32Array(n * fields.length).fill(-1);
  const items = Array.from({ length: n }, (_, i) => {
    const hashes: Partial<Record<IdentifierField, string>> = {};
    fields.forEach((f, c) => {
      if ((i * 7 + c * 3) % 5 === 0) return; // some users lack some fields
      const d = digest(`${seed}${f}${i}`);
      chunks.push(d);
      at[i * fields.length + c] = offset;
      offset += 32;
      hashes[f] = d.toString('hex');
    });
    return { hashes };
  });
  return { rows: { bytes: Buffer.concat(chunks), at }, items };
}

describe('encodeMapping', () => {
  it.each([
    [['email', 'phone', 'idfa', 'gaid'], 'add'],
    [['gaid', 'email'], 'remove'],
    [['phone'], 'add'],
  ] as const)('writes the JSON buildMapping gives, for fields %j and %s, across parts', (fields, action) => {
    const a = usersOf(37, fields, 'a');
    const b = usersOf(5, fields, 'b');
    const batch = { advertiserId: '7000000000000000001', audienceId: '900', action, fields };
    const bytes = encodeMapping({ ...batch, parts: [a.rows, b.rows] });
    expect(bytes.toString('utf8')).toBe(JSON.stringify(buildMapping({ ...batch, items: [...a.items, ...b.items] })));
  });

  it('refuses an empty request or more than 10,000 users, like buildMapping', () => {
    const batch = { advertiserId: 'a', audienceId: '1', action: 'add' as const, fields: ['email'] as const };
    expect(() => encodeMapping({ ...batch, parts: [] })).toThrow(RangeError);
    const many = usersOf(10_001, ['email'], 'm').rows;
    expect(() => encodeMapping({ ...batch, parts: [many] })).toThrow(/10000/);
    expect(JSON.parse(encodeMapping({ ...batch, parts: [{ bytes: many.bytes, at: many.at.subarray(1) }] }).toString()).batch_data).toHaveLength(10_000);
  });

  it('writes into the buffer it is given, over what an earlier body left there', () => {
    const batch = { advertiserId: '7000000000000000001', audienceId: '900', action: 'add' as const, fields: ['email', 'phone'] as const };
    const big = usersOf(50, batch.fields, 'big');
    const small = usersOf(3, batch.fields, 'small');
    const buffer = Buffer.alloc(100_000);
    encodeMapping({ ...batch, parts: [big.rows] }, () => buffer);
    const body = encodeMapping({ ...batch, parts: [small.rows] }, () => buffer);
    expect(body.buffer).toBe(buffer.buffer);
    expect(body.toString('utf8')).toBe(JSON.stringify(buildMapping({ ...batch, items: small.items })));
    expect(() => encodeMapping({ ...batch, parts: [big.rows] }, () => Buffer.alloc(100))).toThrow(RangeError);
  });
});
