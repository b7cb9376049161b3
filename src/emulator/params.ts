/**
 * Reading request parameters the way TikTok's v1.3 API takes them: JSON object bodies for POST, query
 * strings for GET where array-valued parameters are JSON-encoded strings (reference §1). Every failure is
 * a 40002 "<field>: <reason>".
 */
import { paramError } from './envelope.ts';

export type Params = Record<string, unknown>;

/** The body (or query) as an object of fields; anything else is a parameter error. */
export function asParams(value: unknown, what = 'body'): Params {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw paramError(what, 'must be a JSON object');
  }
  return value as Params;
}

/** A query string repeats a key as an array; TikTok's parameters are single-valued, so take the first. */
function single(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

export function requiredString(p: Params, field: string): string {
  const v = single(p[field]);
  if (v === undefined || v === null || v === '') throw paramError(field, 'is required');
  if (typeof v !== 'string') throw paramError(field, 'must be a string');
  return v;
}

export function optionalString(p: Params, field: string): string | undefined {
  const v = single(p[field]);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw paramError(field, 'must be a string');
  return v;
}

/** An integer given as a number (JSON body) or a decimal string (query), within [min, max]. */
export function optionalInt(p: Params, field: string, fallback: number, min: number, max: number): number {
  const raw = single(p[field]);
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw paramError(field, 'must be an integer');
  if (n < min || n > max) throw paramError(field, `must be between ${min} and ${max}`);
  return n;
}

/**
 * A non-empty array of strings, at most `max` long. In a query string it arrives JSON-encoded
 * (`advertiser_ids=["1","2"]`); in a JSON body it is a real array.
 */
export function stringArray(p: Params, field: string, max: number, required = true): string[] | undefined {
  let v = p[field]; // not single(): in a body the array is the value itself
  if (v === undefined || v === '') {
    if (required) throw paramError(field, 'is required');
    return undefined;
  }
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw paramError(field, 'must be a JSON-encoded array of strings, e.g. ["123"]');
    }
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw paramError(field, 'must be an array of non-empty strings');
  }
  if (v.length === 0 || v.length > max) throw paramError(field, `must contain 1 to ${max} items`);
  return v as string[];
}
