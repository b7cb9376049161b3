/**
 * Hashed identifiers as bytes, from the hash thread to TikTok's request body: a launch hashes 10,000
 * users into one table, the store packs each batch's digests from it, the sender writes the body from
 * the packed bytes (partners/tiktok/mapping-body.ts). No hex string is made per identifier on the way;
 * converting 2.5 identifiers a user to hex and back was a tenth of a launch's main-thread CPU.
 */
import type { SyncField } from './canvas.ts';

/** The fields an audience_sync step hashes (the canvas's own list). */
export type HashedField = SyncField;

/** Rows of 32-byte SHA-256 digests in one buffer. */
export interface DigestRows {
  bytes: Uint8Array;
  /** `at[row * fields + field]`: where that row's digest of the field starts in `bytes`, or -1 (none). */
  at: Int32Array;
}

/** Digest rows whose columns are `fields`. */
export interface DigestTable extends DigestRows {
  fields: readonly HashedField[];
}

/** One user's hashed identifiers: a row of a table. */
export interface HashedRow {
  table: DigestTable;
  row: number;
}

export const DIGEST_BYTES = 32;

/** Whether the row has a digest of any field. */
export function hasDigest(h: HashedRow): boolean {
  const width = h.table.fields.length;
  for (let c = 0, k = h.row * width; c < width; c++, k++) if (h.table.at[k]! >= 0) return true;
  return false;
}

/** Where the row's digest of `field` starts, or -1. */
export function digestAt(h: HashedRow, field: HashedField): number {
  const c = h.table.fields.indexOf(field);
  return c < 0 ? -1 : h.table.at[h.row * h.table.fields.length + c]!;
}

/** The row's digests as lowercase hex, by field (tests, diagnostics). */
export function hexOf(h: HashedRow): Partial<Record<HashedField, string>> {
  const out: Partial<Record<HashedField, string>> = {};
  const bytes = Buffer.from(h.table.bytes.buffer, h.table.bytes.byteOffset, h.table.bytes.byteLength);
  for (const f of h.table.fields) {
    const at = digestAt(h, f);
    if (at >= 0) out[f] = bytes.toString('hex', at, at + DIGEST_BYTES);
  }
  return out;
}

/** A table of rows given as hex digests by field (64 hex digits each; throws otherwise). */
export function tableFromHex(rows: readonly Partial<Record<HashedField, string>>[], fields: readonly HashedField[]): DigestTable {
  const at = new Int32Array(rows.length * fields.length).fill(-1);
  let size = 0;
  for (const r of rows) for (const f of fields) if (r[f] !== undefined) size += DIGEST_BYTES;
  const bytes = Buffer.alloc(size);
  let o = 0;
  rows.forEach((r, i) =>
    fields.forEach((f, c) => {
      const hex = r[f];
      if (hex === undefined) return;
      if (hex.length !== 2 * DIGEST_BYTES || bytes.write(hex, o, DIGEST_BYTES, 'hex') !== DIGEST_BYTES) throw new RangeError(`a ${f} hash that is not 64 hex digits`);
      at[i * fields.length + c] = o;
      o += DIGEST_BYTES;
    }),
  );
  return { bytes, at, fields };
}

/** One row from hex digests by field. */
export function rowFromHex(hashes: Partial<Record<HashedField, string>>, fields: readonly HashedField[] = Object.keys(hashes) as HashedField[]): HashedRow {
  return { table: tableFromHex([hashes], fields), row: 0 };
}
