/**
 * A sync batch's payload (migration 0007): its members' profile ids and hashed identifiers as one JSON
 * text, column by column, so that writing and reading 10,000 users is one value, not 40,000.
 */
import type { SyncField } from '../sync-port.ts';

export interface SyncPayload {
  profiles: number[];
  /** Per field, a hash per member (null where the member has none); a field the batch does not send is absent. */
  email?: (string | null)[];
  phone?: (string | null)[];
  idfa?: (string | null)[];
  gaid?: (string | null)[];
}

export function parsePayload(text: string): SyncPayload {
  const p = JSON.parse(text) as Partial<SyncPayload>;
  return { ...p, profiles: p.profiles ?? [] };
}

/** Members `start` to `end` (exclusive) of a payload, as JSON text. */
export function slicePayload(p: SyncPayload, start: number, end: number): string {
  const out: SyncPayload = { profiles: p.profiles.slice(start, end) };
  for (const f of FIELDS) {
    const column = p[f];
    if (column) out[f] = column.slice(start, end);
  }
  return JSON.stringify(out);
}

const FIELDS: readonly SyncField[] = ['email', 'phone', 'idfa', 'gaid'];

/** The payload of members given as (profile id, hashes), sending `fields`. */
export function buildPayload<T>(members: readonly T[], fields: readonly SyncField[], profileOf: (m: T) => number, hashesOf: (m: T) => Partial<Record<SyncField, string>>): string {
  const out: SyncPayload = { profiles: members.map(profileOf) };
  for (const f of fields) out[f] = members.map((m) => hashesOf(m)[f] ?? null);
  return JSON.stringify(out);
}
