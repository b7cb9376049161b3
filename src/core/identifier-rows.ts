/**
 * Profiles' identifiers on their way to the hash thread, as one JSON text: an array with one
 * `[email, phone, idfa, gaid, country]` array per profile (null where the profile has none). A launch
 * reads them so from the database, which writes the text itself (json_group_array / json_agg): the
 * main thread then builds no object, array or string per user, and the hash thread parses the text
 * (bench, 1M users: see DEVELOPERS.md, "A launch reads identifiers as one JSON text").
 */

/** One profile's row in the text. */
export type IdentifierRow = [email: string | null, phone: string | null, idfa: string | null, gaid: string | null, country: string | null];

/** A chunk of profiles: their ids in id order and their identifier rows in the same order. */
export interface IdentifierRows {
  ids: number[];
  /** JSON: IdentifierRow[], one per id. */
  rows: string;
  /** Each id's external id, where the store reads them with the identifiers (PostgreSQL: the entries are then written without a probe of profiles). */
  externalIds?: string[];
}

/** A profile's identifiers, by name. */
export interface IdentifierValues {
  email: string | null;
  phone: string | null;
  idfa: string | null;
  gaid: string | null;
  country: string | null;
}

/** The rows of the text as objects (what hashing reads). */
export function identifierObjects(rows: string): IdentifierValues[] {
  return (JSON.parse(rows) as IdentifierRow[]).map(([email, phone, idfa, gaid, country]) => ({ email, phone, idfa, gaid, country }));
}

/** The text of rows given as objects (a chunk read as whole profiles). */
export function identifierRowsText(inputs: readonly IdentifierValues[]): string {
  return JSON.stringify(inputs.map((p): IdentifierRow => [p.email, p.phone, p.idfa, p.gaid, p.country]));
}

/** The rows of `chunk` whose ids are in `keep` (a subsequence of its ids, in order), as text. */
export function keepIdentifierRows(chunk: IdentifierRows, keep: readonly number[]): string {
  if (keep.length === chunk.ids.length) return chunk.rows;
  const rows = JSON.parse(chunk.rows) as IdentifierRow[];
  const kept: IdentifierRow[] = [];
  for (let i = 0, k = 0; i < chunk.ids.length && k < keep.length; i++) {
    if (chunk.ids[i] !== keep[k]) continue;
    kept.push(rows[i]!);
    k++;
  }
  return JSON.stringify(kept);
}
