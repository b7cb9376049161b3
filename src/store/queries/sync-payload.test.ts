import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rowFromHex, tableFromHex } from '../../core/digest-rows.ts';
import { buildPayload, parsePayload, readPayload, slicePayload } from './sync-payload.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
type Member = { profileId: number; hashes: { email?: string; phone?: string; idfa?: string; gaid?: string } };

describe('sync batch payload', () => {
  // 19 members: bitmaps cross byte boundaries; phone only for some, idfa for none, gaid not sent.
  const members: Member[] = Array.from({ length: 19 }, (_, i) => ({ profileId: 2 ** 40 + i, hashes: { email: sha(`e${i}`), ...(i % 3 === 0 ? { phone: sha(`p${i}`) } : {}), gaid: sha(`g${i}`) } }));
  // The members' digests as a launch holds them: rows of one table, its columns in another order than the payload's.
  const table = tableFromHex(members.map((m) => m.hashes), ['gaid', 'phone', 'email', 'idfa']);
  const packed = buildPayload(members, ['email', 'phone', 'idfa'], (m) => m.profileId, (m) => ({ table, row: members.indexOf(m) }));

  it('packs profile ids and each sent field, with null where a member has no hash; a field not sent is absent', () => {
    expect(parsePayload(packed)).toEqual({
      profiles: members.map((m) => m.profileId),
      email: members.map((m) => m.hashes.email),
      phone: members.map((m) => m.hashes.phone ?? null),
      idfa: members.map(() => null),
    });
    // Bytes, not hex: 32 per digest present, 8 per profile id, a bit per member per field, 6 of header.
    expect(packed.length).toBe(6 + 19 * 8 + 3 * 3 + (19 + 7) * 32);
  });

  it('copies runs of digests that follow each other (tables laid out field by field), across tables and gaps', () => {
    // As the hash thread lays a table out: every member's email, then every phone, then every idfa.
    const byField = (rows: Member['hashes'][], fields: readonly ('email' | 'phone' | 'idfa' | 'gaid')[]) => {
      const t = tableFromHex(rows, fields);
      const bytes = new Uint8Array(t.bytes.length);
      const at = new Int32Array(t.at.length).fill(-1);
      let o = 0;
      fields.forEach((_, c) => rows.forEach((_, r) => {
        const from = t.at[r * fields.length + c]!;
        if (from < 0) return;
        bytes.set(t.bytes.subarray(from, from + 32), o);
        at[r * fields.length + c] = o;
        o += 32;
      }));
      return { bytes, at, fields };
    };
    const many: Member[] = Array.from({ length: 40 }, (_, i) => ({ profileId: i, hashes: i === 7 || i === 30 ? {} : { email: sha(`e${i}`), ...(i % 4 === 0 ? { phone: sha(`p${i}`) } : {}), idfa: sha(`i${i}`) } }));
    const first = byField(many.slice(0, 25).map((m) => m.hashes), ['email', 'idfa', 'phone']);
    const second = byField(many.slice(25).map((m) => m.hashes), ['phone', 'email', 'idfa']);
    const p = buildPayload(many, ['email', 'phone', 'idfa'], (m) => m.profileId, (m) => (m.profileId === 7 || m.profileId === 30 ? null : m.profileId < 25 ? { table: first, row: m.profileId } : { table: second, row: m.profileId - 25 }));
    expect(parsePayload(p)).toEqual({
      profiles: many.map((m) => m.profileId),
      email: many.map((m) => m.hashes.email ?? null),
      phone: many.map((m) => m.hashes.phone ?? null),
      idfa: many.map((m) => m.hashes.idfa ?? null),
    });
  });

  it('slices members, keeping the fields and their order', () => {
    const p = parsePayload(packed);
    expect(parsePayload(slicePayload(readPayload(packed), 5, 13))).toEqual({ profiles: p.profiles.slice(5, 13), email: p.email!.slice(5, 13), phone: p.phone!.slice(5, 13), idfa: p.idfa!.slice(5, 13) });
  });

  it('reads the JSON form of batches converted from earlier sync items', () => {
    const json = { profiles: [7], email: [sha('x')], phone: [null] };
    expect(parsePayload(Buffer.from(JSON.stringify(json)))).toEqual(json);
    expect(parsePayload(JSON.stringify(json))).toEqual(json);
  });

  it('reads each member back for the sender: profile id, hashes, and where the digests are in the bytes', () => {
    const r = readPayload(packed);
    expect(r.count).toBe(19);
    expect(Array.from({ length: 19 }, (_, i) => r.profileId(i))).toEqual(members.map((m) => m.profileId));
    expect(Array.from({ length: 19 }, (_, i) => r.hashesOf(i))).toEqual(members.map((m) => ({ email: m.hashes.email, ...(m.hashes.phone ? { phone: m.hashes.phone } : {}) })));
    // Rows for positions 3 and 4 in the order phone, gaid, email: gaid was not sent, member 4 has no phone.
    const rows = r.digestRows(['phone', 'gaid', 'email'], [3, 4]);
    const hexAt = (k: number) => (rows.at[k]! < 0 ? null : Buffer.from(rows.bytes).toString('hex', rows.at[k]!, rows.at[k]! + 32));
    expect([0, 1, 2, 3, 4, 5].map(hexAt)).toEqual([members[3]!.hashes.phone, null, members[3]!.hashes.email, null, null, members[4]!.hashes.email]);
  });

  it('reads a JSON-form batch for the sender as it reads a packed one', () => {
    const json = { profiles: [7, 9], email: [sha('x'), null], phone: [null, sha('y')] };
    const r = readPayload(JSON.stringify(json));
    expect([r.count, r.profileId(0), r.profileId(1)]).toEqual([2, 7, 9]);
    expect([r.hashesOf(0), r.hashesOf(1)]).toEqual([{ email: sha('x') }, { phone: sha('y') }]);
  });

  it('refuses a hash that is not 64 hex digits', () => {
    expect(() => rowFromHex({ email: 'abc' })).toThrow(RangeError);
    expect(() => rowFromHex({ email: 'g'.repeat(64) })).toThrow(RangeError);
  });
});
