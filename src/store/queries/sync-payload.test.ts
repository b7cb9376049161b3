import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildPayload, parsePayload, slicePayload } from './sync-payload.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
type Member = { profileId: number; hashes: { email?: string; phone?: string; idfa?: string; gaid?: string } };

describe('sync batch payload', () => {
  // 19 members: bitmaps cross byte boundaries; phone only for some, idfa for none, gaid not sent.
  const members: Member[] = Array.from({ length: 19 }, (_, i) => ({ profileId: 2 ** 40 + i, hashes: { email: sha(`e${i}`), ...(i % 3 === 0 ? { phone: sha(`p${i}`) } : {}), gaid: sha(`g${i}`) } }));
  const packed = buildPayload(members, ['email', 'phone', 'idfa'], (m) => m.profileId, (m) => m.hashes);

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

  it('slices members, keeping the fields and their order', () => {
    const p = parsePayload(packed);
    expect(parsePayload(slicePayload(p, 5, 13))).toEqual({ profiles: p.profiles.slice(5, 13), email: p.email!.slice(5, 13), phone: p.phone!.slice(5, 13), idfa: p.idfa!.slice(5, 13) });
  });

  it('reads the JSON form of batches converted from earlier sync items', () => {
    const json = { profiles: [7], email: [sha('x')], phone: [null] };
    expect(parsePayload(Buffer.from(JSON.stringify(json)))).toEqual(json);
    expect(parsePayload(JSON.stringify(json))).toEqual(json);
  });

  it('refuses a hash that is not 64 hex digits', () => {
    expect(() => buildPayload([{ profileId: 1, hashes: { email: 'abc' } }], ['email'], (m) => m.profileId, (m) => m.hashes)).toThrow(RangeError);
  });
});
