/**
 * Validation of `POST /segment/mapping/` bodies (reference §3.5, §7.4). Pure: it reads the parsed body and
 * either returns the request in a checked shape or throws a 40002 naming the field. The whole body is
 * checked before anything is applied, because TikTok fails a mapping request as one unit.
 *
 * Strictness is deliberate: TikTok's own tolerance for malformed hashes is unknown (reference, open
 * question 2), and an emulator that refuses them surfaces a client's hashing bugs instead of hiding them.
 */
import { HEX_VALUE } from './digest-set.ts';
import { paramError } from './envelope.ts';

export const ID_SCHEMAS = ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256', 'AAID_SHA256', 'IDFA_MD5', 'AAID_MD5'] as const;
export type IdSchema = (typeof ID_SCHEMAS)[number];

/** Rows (users) per request: "≤ 10,000 users per request" (reference §6). */
export const MAX_ROWS = 10_000;

function isHex(s: string, length: number): boolean {
  if (s.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || HEX_VALUE[c]! < 0) return false;
  }
  return true;
}
const KNOWN = new Set<string>(ID_SCHEMAS);

/** Hex digits per id of a schema: MD5 16 bytes, SHA-256 32. */
export const hexLength = (schema: IdSchema): number => (schema.endsWith('_MD5') ? 32 : 64);

/**
 * Every (cell, audience) pair of a request, in body order: where the cell's hex id starts in `hex`, its
 * column (index into `schemas`) and its audience (index into `audienceIds`). Three numbers a pair instead of
 * the parsed cell objects, so that a body read from its bytes (mapping-bytes.ts) never builds them.
 */
export class MappingIds {
  private triples = new Int32Array(3 * 4096);
  private n = 0;

  constructor(readonly hex: Buffer) {}

  get count(): number {
    return this.n;
  }

  push(hexAt: number, column: number, audience: number): void {
    if (3 * this.n === this.triples.length) {
      const grown = new Int32Array(this.triples.length * 2);
      grown.set(this.triples);
      this.triples = grown;
    }
    const t = 3 * this.n++;
    this.triples[t] = hexAt;
    this.triples[t + 1] = column;
    this.triples[t + 2] = audience;
  }

  /** The pairs as [hexAt, column, audience, hexAt, …], `3 × count` long. */
  get list(): Int32Array {
    return this.triples.subarray(0, 3 * this.n);
  }
}

export interface MappingRequest {
  advertiserIds: string[];
  action: 'add' | 'delete';
  schemas: IdSchema[];
  /** Rows (users) in batch_data, `{}`-only rows included. */
  rowCount: number;
  /** Every audience id named anywhere in batch_data, once each, in order of first mention. */
  audienceIds: string[];
  ids: MappingIds;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function advertiserIdsOf(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw paramError('advertiser_ids', 'must be a non-empty array of advertiser id strings');
  }
  return v as string[];
}

export function actionOf(v: unknown): 'add' | 'delete' {
  if (v === undefined || v === null) return 'add';
  const action = typeof v === 'string' ? v.toLowerCase() : undefined;
  if (action !== 'add' && action !== 'delete') throw paramError('action', 'must be "add" or "delete"');
  return action;
}

export function schemasOf(v: unknown): IdSchema[] {
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
 * One pass over batch_data: row shape, cell shape, hash format, audience ids; every (cell, audience) pair
 * goes to the returned id list, the hex ids copied one after another into its buffer.
 */
function rowsOf(v: unknown, schemas: IdSchema[], audienceIds: Map<string, number>): { rowCount: number; ids: MappingIds } {
  if (!Array.isArray(v)) throw paramError('batch_data', 'must be an array of rows');
  if (v.length === 0) throw paramError('batch_data', 'must contain at least 1 row');
  if (v.length > MAX_ROWS) throw paramError('batch_data', `must contain at most ${MAX_ROWS} rows, got ${v.length}`);
  const width = schemas.length;
  const lengths = schemas.map(hexLength);
  const hex: string[] = [];
  const pairs: number[] = []; // hexAt, column, audience
  let hexAt = 0;
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
        let audience = audienceIds.get(a);
        if (audience === undefined) audienceIds.set(a, (audience = audienceIds.size));
        pairs.push(hexAt, c, audience);
      }
      hex.push(id);
      hexAt += id.length;
    }
  }
  const list = new MappingIds(Buffer.from(hex.join(''), 'latin1'));
  for (let i = 0; i < pairs.length; i += 3) list.push(pairs[i]!, pairs[i + 1]!, pairs[i + 2]!);
  return { rowCount: v.length, ids: list };
}

/**
 * Checks a parsed mapping body field by field, in the order the fields are documented; throws the first 40002.
 * readMappingBytes (mapping-bytes.ts) reads the usual body faster and hands anything else to this.
 */
export function validateMapping(body: unknown): MappingRequest {
  if (!isObject(body)) throw paramError('body', 'must be a JSON object');
  const advertiserIds = advertiserIdsOf(body.advertiser_ids);
  const action = actionOf(body.action);
  const schemas = schemasOf(body.id_schema);
  const audienceIds = new Map<string, number>();
  const { rowCount, ids } = rowsOf(body.batch_data, schemas, audienceIds);
  return { advertiserIds, action, schemas, rowCount, audienceIds: [...audienceIds.keys()], ids };
}
