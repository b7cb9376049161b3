/**
 * A mapping body read straight from its bytes, for the usual body only: the four documented fields, strings
 * without escapes, every cell `{}` or a valid id with audience ids. The cells stay where they are in the
 * body: the request's id list points at each hex id in the body's own bytes, and no cell object, id string or
 * whole-body string is made. JSON.parse of a 10,000-row body built ~100,000 objects, and parsing, collecting
 * and copying them was most of the emulator's CPU in the benchmark (issue 5), on the cores Cohort shares.
 *
 * Anything else — another field, an escape, a duplicate key, whitespace or order the reader does not expect,
 * an invalid value — returns undefined, and JSON.parse with validateMapping decide, as they decide every body
 * the reader does not take. So the reader only has to be right about what it accepts: a body it accepts
 * is valid JSON, and validateMapping would accept it with the same request (a test holds the two equal).
 */
import { HEX_VALUE } from './digest-set.ts';
import { ApiError } from './envelope.ts';
import {
  actionOf, advertiserIdsOf, hexLength, MappingIds, MAX_ROWS, schemasOf, type IdSchema, type MappingRequest,
} from './mapping.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const ID = Buffer.from('id');
const AUDIENCE_IDS = Buffer.from('audience_ids');
/** A cell as clients write it, up to its hex digits: `{` is already read. */
const CELL_HEAD = Buffer.from('"id":"');

/** Thrown inside the reader when the body is not one it reads; never leaves this module. */
class NotRead extends Error {}
const notRead = (): NotRead => new NotRead();

/** The request in the body, or undefined when JSON.parse and validateMapping must decide. */
export function readMappingBytes(body: Buffer): MappingRequest | undefined {
  try {
    return new Reader(body).request();
  } catch (e) {
    // ApiError and SyntaxError: a field the reader handed to validateMapping's checks or JSON.parse refused.
    if (e instanceof NotRead || e instanceof ApiError || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

class Reader {
  private pos = 0;
  private readonly audienceIds: string[] = [];
  private readonly audienceBytes: Buffer[] = [];
  /** Audiences of the cell being read: its id may come after them. */
  private readonly cellAudiences: number[] = [];
  /** Per audience, what follows the hex digits of a cell naming only it: `","audience_ids":["<id>"]}`. */
  private readonly cellTails: Buffer[] = [];
  /** The audience of the last cell read, or -1. */
  private lastAudience = -1;

  constructor(private readonly b: Buffer) {}

  request(): MappingRequest {
    let advertiserIds: string[] | undefined;
    let action: unknown;
    let schemas: IdSchema[] | undefined;
    let rows: { rowCount: number; ids: MappingIds } | undefined;
    const seen = new Set<string>();
    this.expect(OPEN_OBJECT);
    do {
      const key = this.key();
      if (seen.has(key)) throw notRead(); // JSON.parse keeps the last; leave that to it
      seen.add(key);
      this.expect(COLON);
      if (key === 'advertiser_ids') advertiserIds = advertiserIdsOf(this.smallValue());
      else if (key === 'action') action = this.smallValue();
      else if (key === 'id_schema') schemas = schemasOf(this.smallValue());
      else if (key === 'batch_data' && schemas !== undefined) rows = this.batchData(schemas);
      else throw notRead();
    } while (this.next(CLOSE_OBJECT));
    this.skipSpace();
    if (this.pos !== this.b.length || advertiserIds === undefined || schemas === undefined || rows === undefined) throw notRead();
    return { advertiserIds, action: actionOf(action), schemas, ...rows, audienceIds: this.audienceIds };
  }

  /** `[[cell, …], …]`: each row exactly `schemas.length` cells, 1 to MAX_ROWS rows. */
  private batchData(schemas: IdSchema[]): { rowCount: number; ids: MappingIds } {
    const lengths = schemas.map(hexLength);
    const ids = new MappingIds(this.b);
    let rowCount = 0;
    this.expect(OPEN_ARRAY);
    do {
      if (++rowCount > MAX_ROWS) throw notRead();
      this.expect(OPEN_ARRAY);
      for (let c = 0; c < lengths.length; c++) {
        if (c > 0) this.expect(COMMA);
        this.cell(ids, c, lengths[c]!);
      }
      this.expect(CLOSE_ARRAY);
    } while (this.next(CLOSE_ARRAY));
    return { rowCount, ids };
  }

  /** `{}`, or `{"id": <hexLength hex digits>, "audience_ids": [non-empty strings]}` in either order. */
  private cell(ids: MappingIds, column: number, hexLength: number): void {
    this.expect(OPEN_OBJECT);
    if (this.lastAudience >= 0 && this.compactCell(ids, column, hexLength)) return;
    this.skipSpace();
    if (this.b[this.pos] === CLOSE_OBJECT) {
      this.pos++;
      return;
    }
    let hexAt = -1;
    const audiences = this.cellAudiences;
    audiences.length = 0;
    do {
      const start = this.plainString();
      const end = this.pos - 1;
      this.expect(COLON);
      if (this.equals(start, end, ID) && hexAt < 0) hexAt = this.hexString(hexLength);
      else if (this.equals(start, end, AUDIENCE_IDS) && audiences.length === 0) {
        this.expect(OPEN_ARRAY);
        do audiences.push(this.audience());
        while (this.next(CLOSE_ARRAY));
      } else throw notRead();
    } while (this.next(CLOSE_OBJECT));
    if (hexAt < 0 || audiences.length === 0) throw notRead();
    for (const a of audiences) ids.push(hexAt, column, a);
    this.lastAudience = audiences[audiences.length - 1]!;
  }

  /**
   * The cell exactly as the last one was written, `"id":"<hex>","audience_ids":["<same audience>"]}`
   * with no space: read by comparing bytes (most cells of a body, and half the reader's time before).
   * False, with `pos` unchanged, for any other cell: `cell` reads it the long way.
   */
  private compactCell(ids: MappingIds, column: number, hexLength: number): boolean {
    const hexAt = this.pos + CELL_HEAD.length;
    const end = hexAt + hexLength;
    if (!this.equals(this.pos, hexAt, CELL_HEAD) || !this.allHex(hexAt, end)) return false;
    const tail = this.cellTails[this.lastAudience]!;
    if (!this.equals(end, end + tail.length, tail)) return false;
    ids.push(hexAt, column, this.lastAudience);
    this.pos = end + tail.length;
    return true;
  }

  /** A non-empty audience id string, as its index in `audienceIds` (the last one found is tried first). */
  private audience(): number {
    const start = this.plainString();
    const end = this.pos - 1;
    if (end === start) throw notRead();
    const known = this.audienceBytes;
    for (let i = known.length - 1; i >= 0; i--) if (this.equals(start, end, known[i]!)) return i;
    known.push(Buffer.from(this.b.subarray(start, end)));
    this.audienceIds.push(this.b.toString('latin1', start, end));
    this.cellTails.push(Buffer.concat([Buffer.from('","audience_ids":["'), known[known.length - 1]!, Buffer.from('"]}')]));
    return known.length - 1;
  }

  /** Whether the body's bytes from `start` to `end` are `expected`: a loop, as Buffer calls cost more for a few bytes. */
  private equals(start: number, end: number, expected: Uint8Array): boolean {
    if (end - start !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (this.b[start + i] !== expected[i]) return false;
    return true;
  }

  /** Whether the body's bytes from `start` to `end` (within the body) are all hex digits. */
  private allHex(start: number, end: number): boolean {
    if (end > this.b.length) return false;
    for (let p = start; p < end; p++) if (HEX_VALUE[this.b[p]!]! < 0) return false;
    return true;
  }

  /** A string of exactly `length` hex digits; returns where they start. */
  private hexString(length: number): number {
    this.expect(QUOTE);
    const start = this.pos;
    const end = start + length;
    if (this.b[end] !== QUOTE || !this.allHex(start, end)) throw notRead();
    this.pos = end + 1;
    return start;
  }

  /** A key of printable ASCII without escapes, as a string. */
  private key(): string {
    const start = this.plainString();
    return this.b.toString('latin1', start, this.pos - 1);
  }

  /**
   * A string of printable ASCII without escapes (what JSON.parse would read as those same characters);
   * returns where its characters start and leaves `pos` after the closing quote.
   */
  private plainString(): number {
    this.expect(QUOTE);
    const start = this.pos;
    for (let p = start; p < this.b.length; p++) {
      const c = this.b[p]!;
      if (c === QUOTE) {
        this.pos = p + 1;
        return start;
      }
      if (c < 0x20 || c > 0x7e || c === BACKSLASH) break;
    }
    throw notRead();
  }

  /**
   * A small value (advertiser_ids, action, id_schema) through JSON.parse. Its end is found by skipping
   * strings and counting brackets; JSON.parse then checks the slice, so a wrong end only means "not read".
   */
  private smallValue(): unknown {
    this.skipSpace();
    const { b } = this;
    const start = this.pos;
    let depth = 0;
    let p = start;
    while (p < b.length) {
      const c = b[p]!;
      if (c === QUOTE) {
        for (p++; p < b.length && b[p] !== QUOTE; p++) if (b[p] === BACKSLASH) p++;
        p++;
        if (depth === 0) break;
      } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        depth++;
        p++;
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
        if (depth === 0) break; // the end of the object around a number, true, false or null
        p++;
        if (--depth === 0) break;
      } else if (c === COMMA && depth === 0) break;
      else p++;
    }
    this.pos = p;
    return JSON.parse(b.toString('utf8', start, Math.min(p, b.length)));
  }

  /** After an item: true at a comma (another item follows), false at `close`; anything else is not read. */
  private next(close: number): boolean {
    this.skipSpace();
    const c = this.b[this.pos++];
    if (c === COMMA) return true;
    if (c === close) return false;
    throw notRead();
  }

  private expect(c: number): void {
    this.skipSpace();
    if (this.b[this.pos] !== c) throw notRead();
    this.pos++;
  }

  private skipSpace(): void {
    let p = this.pos;
    for (let c = this.b[p]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = this.b[++p]);
    this.pos = p;
  }
}
