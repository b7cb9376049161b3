import { describe, expect, it } from 'vitest';
import { MAX_ROWS, validateMapping } from './mapping.ts';
import { md5, sha256 } from './testing.ts';

const A = '7100000000000000001';
const H = sha256('a@example.com');
const cell = (id = H, audience_ids: unknown = [A]) => ({ id, audience_ids });
const body = (over: Record<string, unknown> = {}) => ({
  advertiser_ids: ['7000000000000000001'],
  action: 'add',
  id_schema: ['EMAIL_SHA256'],
  batch_data: [[cell()]],
  ...over,
});
const rows = (n: number) => Array.from({ length: n }, () => [cell()]);

describe('validateMapping accepts', () => {
  it('a well-formed body, defaulting action to add and collecting audience ids', () => {
    const req = validateMapping(body({ action: undefined, batch_data: [[cell(H, [A, '7100000000000000002'])], [{}]] }));
    expect(req.action).toBe('add');
    expect(req.schemas).toEqual(['EMAIL_SHA256']);
    expect(req.audienceIds).toEqual([A, '7100000000000000002']);
  });

  it('lowercase schemas and actions, uppercase hex, MD5 ids and empty cells', () => {
    const req = validateMapping(
      body({ action: 'DELETE', id_schema: ['email_sha256', 'Aaid_Md5'], batch_data: [[cell(H.toUpperCase()), cell(md5('x'))], [{}, {}]] }),
    );
    expect(req.action).toBe('delete');
    expect(req.schemas).toEqual(['EMAIL_SHA256', 'AAID_MD5']);
  });

  it(`exactly ${MAX_ROWS} rows`, () => {
    expect(validateMapping(body({ batch_data: rows(MAX_ROWS) })).rowCount).toBe(MAX_ROWS);
  });
});

describe('validateMapping refuses with a 40002 naming the field', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no advertiser_ids', { advertiser_ids: undefined }, /^advertiser_ids: /],
    ['empty advertiser_ids', { advertiser_ids: [] }, /^advertiser_ids: /],
    ['numeric advertiser ids', { advertiser_ids: [7000000000000000] }, /^advertiser_ids: /],
    ['an unknown action', { action: 'remove' }, /^action: /],
    ['an empty id_schema', { id_schema: [] }, /^id_schema: /],
    ['an unknown schema', { id_schema: ['GAID_SHA256'] }, /^id_schema\[0\]: unknown value "GAID_SHA256"/],
    ['a duplicate schema', { id_schema: ['EMAIL_SHA256', 'email_sha256'], batch_data: [[{}, {}]] }, /^id_schema: duplicate value EMAIL_SHA256/],
    ['no batch_data', { batch_data: undefined }, /^batch_data: /],
    ['no rows', { batch_data: [] }, /^batch_data: must contain at least 1 row/],
    [`${MAX_ROWS + 1} rows`, { batch_data: rows(MAX_ROWS + 1) }, /^batch_data: must contain at most 10000 rows, got 10001/],
    ['a row that is not an array', { batch_data: [cell()] }, /^batch_data\[0\]: /],
    ['a row longer than id_schema', { batch_data: [[cell()], [cell(), {}]] }, /^batch_data\[1\]: has 2 cells but id_schema has 1/],
    ['a row shorter than id_schema', { id_schema: ['EMAIL_SHA256', 'PHONE_SHA256'], batch_data: [[cell()]] }, /^batch_data\[0\]: has 1 cells/],
    ['a null cell', { batch_data: [[null]] }, /^batch_data\[0\]\[0\]: /],
    ['a non-hex id', { batch_data: [[cell('z'.repeat(64))]] }, /^batch_data\[0\]\[0\]\.id: must be 64 hex characters for EMAIL_SHA256/],
    ['a raw email', { batch_data: [[cell('a@example.com')]] }, /^batch_data\[0\]\[0\]\.id: /],
    ['a 63-hex id', { batch_data: [[cell(H.slice(1))]] }, /\.id: must be 64 hex/],
    ['a SHA-256 under an MD5 schema', { id_schema: ['IDFA_MD5'] }, /\.id: must be 32 hex characters for IDFA_MD5/],
    ['an id without audience_ids', { batch_data: [[{ id: H }]] }, /^batch_data\[0\]\[0\]\.audience_ids: /],
    ['empty audience_ids', { batch_data: [[cell(H, [])]] }, /\.audience_ids: must be a non-empty array/],
    ['numeric audience ids', { batch_data: [[cell(H, [71000000000000])]] }, /\.audience_ids: must contain only/],
    ['audience_ids without an id', { batch_data: [[{ audience_ids: [A] }]] }, /\.id: /],
  ])('%s', (_name, over, message) => {
    expect(() => validateMapping(body(over))).toThrow(expect.objectContaining({ code: 40002, message: expect.stringMatching(message) }));
  });

  it('a body that is not an object', () => {
    expect(() => validateMapping([body()])).toThrow(/^body: /);
  });
});
