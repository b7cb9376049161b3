/**
 * Which identifier fields a sync member was sent with, as one small integer (sync_members.fields,
 * migration 0019): a bit per field, so the user page can say what was sent after the hashes are gone.
 */
import type { SyncField } from './canvas.ts';
import { digestAt, type HashedRow } from './digest-rows.ts';

const BITS: readonly (readonly [SyncField, number])[] = [
  ['email', 1],
  ['phone', 2],
  ['idfa', 4],
  ['gaid', 8],
];

/** The bits of `fields` the member has a digest of (0: nothing sendable, or no digests). */
export function fieldsMask(fields: readonly SyncField[], hashes: HashedRow | null): number {
  if (!hashes) return 0;
  let mask = 0;
  for (const [f, bit] of BITS) if (fields.includes(f) && digestAt(hashes, f) >= 0) mask |= bit;
  return mask;
}

/** The fields a mask names, in the order TikTok's id_schema lists them. */
export function fieldsOfMask(mask: number): SyncField[] {
  return BITS.filter(([, bit]) => (mask & bit) !== 0).map(([f]) => f);
}
