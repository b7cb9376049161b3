import { describe, expect, it } from 'vitest';
import { buildAuthorizeUrl, buildMapping, tiktokPartner, truncateAudienceName } from './index.ts';

const H = (c: string) => c.repeat(64);

describe('buildMapping', () => {
  it('builds id_schema and every row from one field list, {} where a user lacks a field', () => {
    const body = buildMapping({
      advertiserId: '7000000000000000001',
      audienceId: '900',
      action: 'add',
      fields: ['email', 'phone', 'idfa', 'gaid'],
      items: [{ hashes: { email: H('a'), gaid: H('d') } }, { hashes: { phone: H('b'), idfa: H('c') } }],
    });
    expect(body).toEqual({
      advertiser_ids: ['7000000000000000001'],
      action: 'add',
      id_schema: ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256', 'AAID_SHA256'],
      batch_data: [
        [{ id: H('a'), audience_ids: ['900'] }, {}, {}, { id: H('d'), audience_ids: ['900'] }],
        [{}, { id: H('b'), audience_ids: ['900'] }, { id: H('c'), audience_ids: ['900'] }, {}],
      ],
    });
    expect(JSON.stringify(body.batch_data[0]?.[1])).toBe('{}');
  });

  it('sends remove as TikTok\'s "delete" and keeps the field order given', () => {
    const body = buildMapping({ advertiserId: 'a', audienceId: '1', action: 'remove', fields: ['gaid', 'email'], items: [{ hashes: { email: H('e') } }] });
    expect(body.action).toBe('delete');
    expect(body.id_schema).toEqual(['AAID_SHA256', 'EMAIL_SHA256']);
    expect(body.batch_data).toEqual([[{}, { id: H('e'), audience_ids: ['1'] }]]);
  });

  it('refuses an empty batch or more than 10,000 users', () => {
    const base = { advertiserId: 'a', audienceId: '1', action: 'add' as const, fields: ['email' as const] };
    expect(() => buildMapping({ ...base, items: [] })).toThrow(RangeError);
    const items = Array.from({ length: tiktokPartner.limits.rowsPerRequest + 1 }, () => ({ hashes: { email: H('a') } }));
    expect(() => buildMapping({ ...base, items })).toThrow(/10000/);
    expect(buildMapping({ ...base, items: items.slice(1) }).batch_data).toHaveLength(10_000);
  });
});

describe('partner declaration', () => {
  it('maps gaid to AAID_SHA256 (TikTok has no GAID_SHA256 schema) and pins v1.3', () => {
    expect(tiktokPartner.schemaOf).toEqual({ email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', idfa: 'IDFA_SHA256', gaid: 'AAID_SHA256' });
    expect(tiktokPartner.apiVersion).toBe('v1.3');
    expect(tiktokPartner.limits).toMatchObject({ rowsPerRequest: 10_000, requestsPerSecond: 50, audiencesPerAdvertiser: 400 });
  });

  it('builds the consent URL with app_id, state and an encoded redirect_uri', () => {
    const url = new URL(buildAuthorizeUrl('https://business-api.tiktok.com/portal/auth', { appId: 'app 1', state: 's&t', redirectUri: 'http://127.0.0.1:8080/oauth/tiktok/callback?x=1' }));
    expect(url.origin + url.pathname).toBe('https://business-api.tiktok.com/portal/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({ app_id: 'app 1', state: 's&t', redirect_uri: 'http://127.0.0.1:8080/oauth/tiktok/callback?x=1' });
  });

  it.each([
    ['short', 'short'],
    ['x'.repeat(70), 'x'.repeat(70)],
    ['x'.repeat(71), `${'x'.repeat(67)}...`],
  ])('truncates audience names like TikTok (%#)', (name, expected) => {
    expect(truncateAudienceName(name)).toBe(expected);
  });
});
