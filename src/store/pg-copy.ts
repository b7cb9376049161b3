/**
 * Reading large bytea values from PostgreSQL as bytes. node-postgres reads every value as text, and a
 * bytea as text is hex: PostgreSQL writes 2 MB for a 1 MB sync payload and this process decodes it
 * back (UTF-8 string, then hex), ~25 ms a payload. `COPY (select …) TO STDOUT (FORMAT binary)` sends
 * the bytes as they are stored: ~3 ms (measured with 1 MB payloads; the sender reads one per request).
 */
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** Runs `COPY (select) TO STDOUT (FORMAT binary)` outside any transaction; answers each row's fields (null: SQL NULL). */
export type CopyOut = (select: string) => Promise<(Buffer | null)[][]>;

export function poolCopyOut(pool: pg.Pool): CopyOut {
  return async (select) => {
    const client = await pool.connect();
    let failed: unknown;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(copyTo(`copy (${select}) to stdout (format binary)`))) chunks.push(chunk as Buffer);
      return binaryCopyRows(Buffer.concat(chunks));
    } catch (e) {
      failed = e;
      throw e;
    } finally {
      // A connection whose COPY failed half-way may be left mid-protocol: the pool drops it.
      client.release(failed instanceof Error ? failed : undefined);
    }
  };
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * The rows of PostgreSQL's binary COPY format ("COPY", File Formats, Binary Format): the signature, a
 * flags word and a header extension, then per row a 16-bit field count (-1 ends the data) and per
 * field a 32-bit length (-1: NULL) and its bytes. Fields are views of `data`, not copies.
 */
export function binaryCopyRows(data: Buffer): (Buffer | null)[][] {
  if (data.length < SIGNATURE.length + 8 || !data.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not PostgreSQL binary COPY data');
  let at = SIGNATURE.length + 4; // the flags word: nothing in it changes how the rows read
  at += 4 + data.readInt32BE(at); // the header extension, skipped
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    if (at + 2 > data.length) throw new Error('binary COPY data ends without its trailer');
    const fields = data.readInt16BE(at);
    at += 2;
    if (fields === -1) return rows;
    const row: (Buffer | null)[] = [];
    for (let f = 0; f < fields; f++) {
      const length = data.readInt32BE(at);
      at += 4;
      if (length === -1) {
        row.push(null);
        continue;
      }
      if (at + length > data.length) throw new Error('binary COPY data ends inside a value');
      row.push(data.subarray(at, at + length));
      at += length;
    }
    rows.push(row);
  }
}
