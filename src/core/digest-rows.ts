/**
 * Hashed identifiers of a request's users as bytes: the store hands them to the sender like this and
 * the TikTok body is written from them (partners/tiktok/mapping-body.ts), with no hex string per id.
 */
export interface DigestRows {
  bytes: Uint8Array;
  /** `at[row * fields + field]`: where that row's 32-byte SHA-256 digest of the field starts in `bytes`, or -1 (none). */
  at: Int32Array;
}
