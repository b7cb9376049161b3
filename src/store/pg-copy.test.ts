import { describe, expect, it } from 'vitest';
import { binaryCopyRows } from './pg-copy.ts';

/** PostgreSQL's binary COPY framing around `rows` (fields as bytes, null as NULL). */
function copyData(rows: (Buffer | null)[][], extension = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(4), Buffer.alloc(4)];
  parts[2]!.writeInt32BE(extension.length);
  parts.push(extension);
  for (const row of rows) {
    const n = Buffer.alloc(2);
    n.writeInt16BE(row.length);
    parts.push(n);
    for (const f of row) {
      const len = Buffer.alloc(4);
      len.writeInt32BE(f === null ? -1 : f.length);
      parts.push(len, ...(f ? [f] : []));
    }
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

describe('binary COPY rows', () => {
  it('reads each row, its values as bytes (empty and NULL kept apart), past a header extension', () => {
    const id = Buffer.alloc(8);
    id.writeBigInt64BE(42n);
    const payload = Buffer.from([0, 1, 2, 0xff, 0x0a]);
    const rows = binaryCopyRows(copyData([[id, payload], [id, Buffer.alloc(0)], [null, payload]], Buffer.from('ext')));
    expect(rows).toHaveLength(3);
    expect(rows[0]![0]!.readBigInt64BE()).toBe(42n);
    expect(rows[0]![1]).toEqual(payload);
    expect(rows[1]![1]).toEqual(Buffer.alloc(0));
    expect(rows[2]![0]).toBeNull();
  });

  it('rejects what is not binary COPY data, or is cut short', () => {
    expect(() => binaryCopyRows(Buffer.from('batch_id\tpayload\n'))).toThrow(/not PostgreSQL binary COPY/);
    const whole = copyData([[Buffer.from('abcdef')]]);
    expect(() => binaryCopyRows(whole.subarray(0, whole.length - 2))).toThrow(/without its trailer/);
    expect(() => binaryCopyRows(whole.subarray(0, whole.length - 5))).toThrow(/inside a value/);
  });
});
