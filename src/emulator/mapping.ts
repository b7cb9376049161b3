/**
 * Validation of `POST /segment/mapping/` bodies (reference §3.5, §7.4). Pure: it reads the parsed body and
 * either returns the request in a checked shape or throws a 40002 naming the field. The whole body is
 * checked before anything is applied, because TikTok fails a mapping request as one unit.
 *
 * Strictness is deliberate: TikTok's own tolerance for malformed hashes is unknown (reference, open
 * question 2), and an emulator that refuses them surfaces a client's hashing bugs instead of hiding them.
 */
import { paramError } from './envelope.ts';

export const ID_SCHEMAS = ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256', 'AAID_SHA256', 'IDFA_MD5', 'AAID_MD5'] as const;
export type IdSchema = (typeof ID_SCHEMAS)[number];

/** Rows (users) per request: "≤ 10,000 users per request" (reference §6). */
export const MAX_ROWS = 10_000;

/** 1 for the char codes of 0-9, a-f, A-F: a table loop is cheaper than a regex per id (40,000 ids a request). */
const HEX = new Uint8Array(128);
for (const ch of '0123456789abcdefABCDEF') HEX[ch.charCodeAt(0)] = 1;

function isHex(s: string, length: number): boolean {
  if (s.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || HEX[c] === 0) return false;
  }
  return true;
}
const KNOWN = new Set<string>(ID_SCHEMAS);

/** A cell after validation: either `{}` (no id) or an id with at least one audience. */
export interface MappingCell {
  id?: string;
  audience_ids?: string[];
}

export interface MappingRequest {
  advertiserIds: string[];
  action: 'add' | 'delete';
  schemas: IdSchema[];
  rows: MappingCell[][];
  /** Every audience id named anywhere in batch_data, for the existence check that follows validation. */
  audienceIds: Set<string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function advertiserIdsOf(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw paramError('advertiser_ids', 'must be a non-empty array of advertiser id strings');
  }
  return v as string[];
}

function actionOf(v: unknown): 'add' | 'delete' {
  if (v === undefined || v === null) return 'add';
  const action = typeof v === 'string' ? v.toLowerCase() : undefined;
  if (action !== 'add' && action !== 'delete') throw paramError('action', 'must be "add" or "delete"');
  return action;
}

function schemasOf(v: unknown): IdSchema[] {
  if (!Array.isArray(v) || v.length === 0) throw paramError('id_schema', 'must be a non-empty array');
  const seen = new Set<string>();
  return v.map((raw: unknown, i) => {
    const s = typeof raw === 'string' ? raw.toUpperCase() : undefined;
    if (s === undefined || !KNOWN.has(s)) {
      throw paramError(`id_schema[${i}]`, `unknown value ${JSON.stringify(raw)}; expected one of ${ID_SCHEMAS.join(', ')}`);
    }
    if (seen.has(s)) throw paramError('id_schema', `duplicate value ${s}`);
    seen.add(s);
    return s as IdSchema;
  });
}

/**
 * One pass over batch_data: row shape, cell shape, hash format, audience ids. No per-cell allocation:
 * the parsed cells are returned as they are, only typed.
 */
function rowsOf(v: unknown, schemas: IdSchema[], audienceIds: Set<string>): MappingCell[][] {
  if (!Array.isArray(v)) throw paramError('batch_data', 'must be an array of rows');
  if (v.length === 0) throw paramError('batch_data', 'must contain at least 1 row');
  if (v.length > MAX_ROWS) throw paramError('batch_data', `must contain at most ${MAX_ROWS} rows, got ${v.length}`);
  const width = schemas.length;
  const lengths = schemas.map((s) => (s.endsWith('_MD5') ? 32 : 64)); // hex digits of MD5 / SHA-256
  for (let r = 0; r < v.length; r++) {
    const row: unknown = v[r];
    if (!Array.isArray(row)) throw paramError(`batch_data[${r}]`, 'must be an array of cells');
    if (row.length !== width) {
      throw paramError(`batch_data[${r}]`, `has ${row.length} cells but id_schema has ${width}; each cell is positional`);
    }
    for (let c = 0; c < width; c++) {
      const cell: unknown = row[c];
      if (!isObject(cell)) throw paramError(`batch_data[${r}][${c}]`, 'must be {} or {"id", "audience_ids"}');
      const { id, audience_ids: ids } = cell;
      if (id === undefined && ids === undefined) continue;
      if (typeof id !== 'string' || !isHex(id, lengths[c]!)) {
        throw paramError(`batch_data[${r}][${c}].id`, `must be ${lengths[c]} hex characters for ${schemas[c]}`);
      }
      if (!Array.isArray(ids) || ids.length === 0) {
        throw paramError(`batch_data[${r}][${c}].audience_ids`, 'must be a non-empty array of audience id strings');
      }
      for (const a of ids as unknown[]) {
        if (typeof a !== 'string' || a === '') {
          throw paramError(`batch_data[${r}][${c}].audience_ids`, 'must contain only audience id strings');
        }
        audienceIds.add(a);
      }
    }
  }
  return v as MappingCell[][];
}

/** Checks a mapping body field by field, in the order the fields are documented; throws the first 40002. */
export function validateMapping(body: unknown): MappingRequest {
  if (!isObject(body)) throw paramError('body', 'must be a JSON object');
  const advertiserIds = advertiserIdsOf(body.advertiser_ids);
  const action = actionOf(body.action);
  const schemas = schemasOf(body.id_schema);
  const audienceIds = new Set<string>();
  const rows = rowsOf(body.batch_data, schemas, audienceIds);
  return { advertiserIds, action, schemas, rows, audienceIds };
}
