import { describe, expect, it } from 'vitest';
import { readMappingBytes } from './mapping-bytes.ts';
import { validateMapping, type MappingRequest } from './mapping.ts';
import { md5, sha256 } from './testing.ts';

const A = '7100000000000000001';
const B = '7100000000000000002';
const ADV = '7000000000000000001';

/** A request as plain data: its (hex id, column, audience id) triples spelled out. */
function plain(req: MappingRequest | undefined) {
  if (!req) return undefined;
  const { hex, list } = req.ids;
  const ids: [string, number, string][] = [];
  for (let i = 0; i < list.length; i += 3) {
    const width = req.schemas[list[i + 1]!]!.endsWith('_MD5') ? 32 : 64;
    ids.push([hex.toString('latin1', list[i]!, list[i]! + width), list[i + 1]!, req.audienceIds[list[i + 2]!]!]);
  }
  return { advertiserIds: req.advertiserIds, action: req.action, schemas: req.schemas, rowCount: req.rowCount, audienceIds: req.audienceIds, ids };
}

/** What JSON.parse and validateMapping make of the text, or undefined where either refuses it. */
function throughJsonParse(text: string) {
  try {
    return plain(validateMapping(JSON.parse(text)));
  } catch {
    return undefined;
  }
}

const read = (text: string) => plain(readMappingBytes(Buffer.from(text, 'utf8')));

const body = {
  advertiser_ids: [ADV],
  action: 'add',
  id_schema: ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_MD5'],
  batch_data: [
    [{ id: sha256('a'), audience_ids: [A] }, {}, { id: md5('x').toUpperCase(), audience_ids: [A, B] }],
    [{}, { audience_ids: [B], id: sha256('+15550001') }, {}],
    [{}, {}, {}],
  ],
};

describe('readMappingBytes reads the usual body as validateMapping does', () => {
  it.each<[string, string]>([
    ['compact', JSON.stringify(body)],
    ['indented', JSON.stringify(body, null, 2)],
    ['with CRLF and tabs', JSON.stringify(body, null, '\t').replaceAll('\n', '\r\n')],
    ['batch_data after id_schema, action last', JSON.stringify({ advertiser_ids: body.advertiser_ids, id_schema: body.id_schema, batch_data: body.batch_data, action: 'DELETE' })],
    ['with action null, last', JSON.stringify({ advertiser_ids: body.advertiser_ids, id_schema: body.id_schema, batch_data: body.batch_data, action: null })],
    ['without action', JSON.stringify({ ...body, action: undefined })],
    ['with action null', JSON.stringify({ ...body, action: null })],
  ])('%s', (_name, text) => {
    const expected = throughJsonParse(text);
    expect(expected).toBeDefined();
    expect(read(text)).toEqual(expected);
  });

  it('a 10,000-row body, keeping each audience once in order of first mention', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => [{ id: sha256(`u${i}`), audience_ids: [i % 3 === 0 ? B : A] }]);
    const text = JSON.stringify({ advertiser_ids: [ADV], action: 'add', id_schema: ['EMAIL_SHA256'], batch_data: rows });
    const got = read(text);
    expect(got).toEqual(throughJsonParse(text));
    expect(got?.audienceIds).toEqual([B, A]);
    expect(got?.ids).toHaveLength(10_000);
  });
});

describe('readMappingBytes leaves to JSON.parse and validateMapping', () => {
  const text = JSON.stringify(body);
  it.each<[string, string]>([
    ['invalid JSON: cut short', text.slice(0, -1)],
    ['invalid JSON: trailing text', `${text} x`],
    ['invalid JSON: a trailing comma', text.replace(']]}', ']],}')],
    ['an escape in an id', text.replace(sha256('a').slice(0, 6), '\\u0061' + sha256('a').slice(1, 6))],
    ['another field', JSON.stringify({ ...body, extra: 1 })],
    ['a field twice', text.replace('"action":"add"', '"action":"add","action":"delete"')],
    ['batch_data before id_schema', JSON.stringify({ batch_data: body.batch_data, advertiser_ids: body.advertiser_ids, action: body.action, id_schema: body.id_schema })],
    ['an unknown cell key', text.replace('{}', '{"x":1}')],
    ['an id without audience_ids', text.replace(`,"audience_ids":["${A}"]}`, '}')],
    ['a 63-digit id', text.replace(sha256('a'), sha256('a').slice(1))],
    ['empty audience_ids', text.replace(`"audience_ids":["${A}"]`, '"audience_ids":[]')],
    ['an empty audience id', text.replace(`"audience_ids":["${A}"]`, '"audience_ids":[""]')],
    ['a numeric audience id', text.replace(`"audience_ids":["${A}"]`, '"audience_ids":[7100000000000000001]')],
    ['a short row', text.replace('[{},{},{}]', '[{},{}]')],
    ['no rows', JSON.stringify({ ...body, batch_data: [] })],
    ['10,001 rows', JSON.stringify({ ...body, batch_data: Array.from({ length: 10_001 }, () => body.batch_data[2]) })],
    ['an unknown schema', JSON.stringify({ ...body, id_schema: ['EMAIL_SHA256', 'PHONE_SHA256', 'GAID_MD5'] })],
    ['not an object', `[${text}]`],
  ])('%s', (_name, bad) => {
    expect(readMappingBytes(Buffer.from(bad))).toBeUndefined();
  });

  it('every mutation of a body it takes only if JSON.parse and validateMapping take it alike', () => {
    // Random byte edits (replace, delete, insert) of a valid body, half of them at a structural character:
    // whatever the reader accepts must be a body that JSON.parse and validateMapping accept as the same
    // request. Seeded, so a failure repeats.
    // Cells with one audience after the first are read by comparing bytes (compactCell): several of them.
    const more = [[{ id: sha256('b'), audience_ids: [A] }, { id: md5('y'), audience_ids: [A] }], [{ id: sha256('c'), audience_ids: [A] }, {}]];
    const base = JSON.stringify({ advertiser_ids: [ADV], id_schema: ['EMAIL_SHA256', 'AAID_MD5'], action: 'add', batch_data: [...body.batch_data.map((r) => [r[0], r[2]]), ...more] });
    const alphabet = '{}[],:" \\0123456789abcdefABCDEFxu-';
    let seed = 11;
    const next = (n: number) => {
      // mulberry32: an LCG's low bits repeat with a short period, and n is often 2 or 3 here
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    let taken = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = base;
      for (let edits = 1 + next(2); edits > 0; edits--) {
        const structural = [...text].flatMap((c, j) => ('{}[],:"'.includes(c) ? [j] : []));
        const at = next(2) === 0 ? structural[next(structural.length)]! : next(text.length);
        const ch = alphabet[next(alphabet.length)]!;
        const kind = next(3);
        text = kind === 0 ? text.slice(0, at) + ch + text.slice(at + 1) : kind === 1 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + ch + text.slice(at);
      }
      const got = read(text);
      if (got === undefined) continue;
      taken++;
      expect(got, text).toEqual(throughJsonParse(text));
    }
    expect(taken).toBeGreaterThan(1_000); // 1,868: hex-digit and whitespace edits keep many mutants valid
  });
});
