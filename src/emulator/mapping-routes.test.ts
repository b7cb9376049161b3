import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../core/clock.ts';
import { startEmulator, type RunningEmulator } from './index.ts';
import {
  adminGet, adminPost, APP_ID, connect, createAudience, emailMapping, EU, md5, post, sha256, US, type EnvelopeJson,
} from './testing.ts';

const clock = fakeClock('2026-01-01T00:00:00Z');
let emu: RunningEmulator;
let token: string;
let audience: string;
beforeAll(async () => {
  emu = await startEmulator({ clock });
});
afterAll(() => emu.close());
beforeEach(async () => {
  await adminPost(emu, '/reset');
  token = await connect(emu, [US]);
  audience = await createAudience(emu, token);
});

/** `t: null` sends no Access-Token header. */
const map = (body: unknown, t: string | null = token): Promise<EnvelopeJson> =>
  post(emu, '/segment/mapping/', body, t ?? undefined);
const members = async (id = audience) => (await adminGet(emu, `/audiences/${id}/members`)).json as {
  members: Record<string, string[]>;
  counts: Record<string, number>;
};
const stats = async () => (await adminGet(emu, '/stats')).json;

describe('membership', () => {
  it('adds identifiers per schema (lowercased), skipping {} cells, then deletes them', async () => {
    const [email, phone, idfa] = [sha256('a@example.com'), sha256('+15555555555'), sha256('idfa-1')];
    const body = {
      advertiser_ids: [US],
      action: 'add',
      id_schema: ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256'],
      batch_data: [
        [{ id: email.toUpperCase(), audience_ids: [audience] }, { id: phone, audience_ids: [audience] }, {}],
        [{}, {}, { id: idfa, audience_ids: [audience] }],
        [{}, {}, {}],
      ],
    };
    const res = await map(body);
    expect(res).toEqual({ code: 0, message: 'OK', request_id: expect.stringMatching(/^\d{14}[0-9A-F]{16}$/), data: {} });
    expect(await members()).toEqual({
      audience_id: audience,
      deleted: false,
      members: { EMAIL_SHA256: [email], PHONE_SHA256: [phone], IDFA_SHA256: [idfa], AAID_SHA256: [] },
      counts: { EMAIL_SHA256: 1, PHONE_SHA256: 1, IDFA_SHA256: 1, AAID_SHA256: 0 },
    });
    expect((await map(body)).code).toBe(0); // adding again changes nothing
    expect((await members()).counts.EMAIL_SHA256).toBe(1);

    expect((await map({ ...body, action: 'delete', batch_data: [body.batch_data[0]] })).code).toBe(0);
    expect((await members()).counts).toEqual({ EMAIL_SHA256: 0, PHONE_SHA256: 0, IDFA_SHA256: 1, AAID_SHA256: 0 });
    expect((await map({ ...body, action: 'delete' })).code).toBe(0); // deleting absent members is a no-op
    expect((await members()).counts.IDFA_SHA256).toBe(0);
  });

  it('shows MD5 schemas only once used, and counts only with ?members=false', async () => {
    await map({ advertiser_ids: [US], id_schema: ['AAID_MD5'], batch_data: [[{ id: md5('gaid'), audience_ids: [audience] }]] });
    expect((await members()).members.AAID_MD5).toEqual([md5('gaid')]);
    expect((await members()).members).not.toHaveProperty('IDFA_MD5');
    const countsOnly = (await adminGet(emu, `/audiences/${audience}/members?members=false`)).json;
    expect(countsOnly).not.toHaveProperty('members');
    expect(countsOnly).toMatchObject({ counts: { AAID_MD5: 1, EMAIL_SHA256: 0 } });
    expect((await adminGet(emu, '/audiences/404404/members')).status).toBe(404);
  });

  it('a refused request changes nothing, even when its first rows are valid', async () => {
    const body = emailMapping(audience, 3);
    (body.batch_data as unknown[]).push([{ id: 'not-a-hash', audience_ids: [audience] }]);
    expect((await map(body)).code).toBe(40002);
    expect((await members()).counts.EMAIL_SHA256).toBe(0);
  });

  it('handles a full 10,000-row, 4-schema request', async () => {
    const schemas = ['EMAIL_SHA256', 'PHONE_SHA256', 'IDFA_SHA256', 'AAID_SHA256'];
    const batch = Array.from({ length: 10_000 }, (_, i) => schemas.map((s) => ({ id: sha256(`${s}${i}`), audience_ids: [audience] })));
    const started = performance.now();
    expect((await map({ advertiser_ids: [US], id_schema: schemas, batch_data: batch })).code).toBe(0);
    // Generous bound: catches accidental quadratic work, not a benchmark (it includes sending 4.5 MB).
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await members()).counts).toEqual({ EMAIL_SHA256: 10_000, PHONE_SHA256: 10_000, IDFA_SHA256: 10_000, AAID_SHA256: 10_000 });
    expect(await stats()).toMatchObject({ mapping_rows: 10_000, max_rows_in_request: 10_000 });
  });

  it('applies a body the byte reader leaves to JSON.parse (an extra field, an escaped digit) like any other', async () => {
    const [email, phone] = [sha256('a@example.com'), sha256('+15555555555')];
    const text = JSON.stringify({
      advertiser_ids: [US], id_schema: ['EMAIL_SHA256', 'PHONE_SHA256'], note: 'kept by TikTok? ignored here',
      batch_data: [[{ id: email, audience_ids: [audience] }, { id: `\u0000${phone.slice(1)}`, audience_ids: [audience] }]],
    }).replace('\\u0000', `\\u00${phone.charCodeAt(0).toString(16)}`);
    const res = await fetch(`${emu.url}/open_api/v1.3/segment/mapping/`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'Access-Token': token }, body: text,
    });
    expect(((await res.json()) as EnvelopeJson).code).toBe(0);
    expect((await members()).members).toMatchObject({ EMAIL_SHA256: [email], PHONE_SHA256: [phone] });
  });

  it('keeps concurrent requests apart although their bodies are read into reused buffers', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => emailMapping(audience, 200 + i * 50, 'add', `c${i}-`));
    const answers = await Promise.all(bodies.map((b) => map(b)));
    expect(answers.map((a) => a.code)).toEqual(bodies.map(() => 0));
    const held = new Set((await members()).members.EMAIL_SHA256);
    const sent = bodies.flatMap((b) => (b.batch_data as { id: string }[][]).map((row) => row[0]!.id));
    expect(held.size).toBe(sent.length);
    for (const id of sent) expect(held.has(id)).toBe(true);
  });

  it('answers 413 to a body over 10 MB, declared or streamed', async () => {
    const big = `{"advertiser_ids":["${US}"],"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    const headers = { 'content-type': 'application/json', 'Access-Token': token };
    const declared = await fetch(`${emu.url}/open_api/v1.3/segment/mapping/`, { method: 'POST', headers, body: big });
    expect(declared.status).toBe(413);
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < bytes.length; at += 1 << 20) c.enqueue(bytes.subarray(at, at + (1 << 20)));
        c.close();
      },
    });
    const streamed = await fetch(`${emu.url}/open_api/v1.3/segment/mapping/`, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await map(emailMapping(audience, 3))).code).toBe(0); // and the next request is read whole
  });

  it('refuses 10,001 rows', async () => {
    expect(await map(emailMapping(audience, 10_001))).toMatchObject({ code: 40002, message: expect.stringMatching(/^batch_data: /) });
  });
});

describe('audience and permission checks', () => {
  it('refuses unknown, deleted and other advertisers\' audiences with "do not exist"', async () => {
    const deleted = await createAudience(emu, token, 'to delete');
    await adminPost(emu, `/audiences/${deleted}/delete`);
    const both = await connect(emu, [US, EU]);
    const foreign = await createAudience(emu, both, 'eu', EU);
    for (const id of ['7199999999999999999', deleted, foreign]) {
      const res = await map(emailMapping(id, 1), both);
      expect(res).toMatchObject({ code: 40002, message: `audience_ids [${id}] do not exist or do not belong to advertiser` });
    }
  });

  it('accepts an audience of any advertiser listed in advertiser_ids', async () => {
    const both = await connect(emu, [US, EU]);
    const eu = await createAudience(emu, both, 'eu', EU);
    expect((await map({ ...emailMapping(eu, 2), advertiser_ids: [US, EU] }, both)).code).toBe(0);
  });

  it('refuses an advertiser the token was not granted with 40001', async () => {
    const res = await map({ ...emailMapping(audience, 1), advertiser_ids: [EU] });
    expect(res).toMatchObject({ code: 40001, message: expect.stringContaining(`advertiser ${EU}`) });
  });

  it('checks the token first: 40104 missing, 40105 unknown or revoked', async () => {
    expect((await map(emailMapping(audience, 1), null)).code).toBe(40104);
    expect((await map(emailMapping(audience, 1), 'f'.repeat(40))).code).toBe(40105);
    await adminPost(emu, '/tokens/revoke', { access_token: token });
    expect((await map(emailMapping(audience, 1))).code).toBe(40105);
    expect(await stats()).toMatchObject({ mapping_requests: 3, mapping_rows: 0 });
  });
});

describe('rate limit: 50 accepted requests per app in any sliding second', () => {
  it('admits exactly 50 of 120 simultaneous requests, answers the rest 40100 in HTTP 200', async () => {
    const body = JSON.stringify(emailMapping(audience, 1));
    const responses = await Promise.all(
      Array.from({ length: 120 }, () =>
        fetch(`${emu.url}/open_api/v1.3/segment/mapping/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'Access-Token': token },
          body,
        }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const answers = (await Promise.all(responses.map((r) => r.json()))) as EnvelopeJson[];
    expect(answers.filter((a) => a.code === 0)).toHaveLength(50);
    const limited = answers.filter((a) => a.code === 40100);
    expect(limited).toHaveLength(70);
    expect(limited[0]!.message).toBe(`Due to too many requests, requests from App [${APP_ID}] are temporarily restricted.`);
    expect(await stats()).toMatchObject({
      mapping_requests: 120,
      mapping_rows: 50,
      rate_limited: 70,
      max_mapping_requests_in_any_second: 120,
    });

    clock.advance(999);
    expect((await map(emailMapping(audience, 1))).code).toBe(40100); // the 50 are still in the window
    clock.advance(2); // 1,001 ms after the burst
    expect((await map(emailMapping(audience, 1))).code).toBe(0);
  });

  it('charges a revoked token to its app before refusing it (limit before revocation)', async () => {
    await Promise.all(Array.from({ length: 50 }, () => map(emailMapping(audience, 1))));
    await adminPost(emu, '/tokens/revoke', { access_token: token });
    expect((await map(emailMapping(audience, 1))).code).toBe(40100);
    clock.advance(1001);
    expect((await map(emailMapping(audience, 1))).code).toBe(40105);
  });

  it('spreads over time: 50 at t, 50 more only once t has left the window', async () => {
    const send = (n: number) => Promise.all(Array.from({ length: n }, () => map(emailMapping(audience, 1))));
    expect((await send(50)).every((r) => r.code === 0)).toBe(true);
    clock.advance(1000);
    expect((await send(50)).every((r) => r.code === 0)).toBe(true);
    expect(await stats()).toMatchObject({ rate_limited: 0, max_mapping_requests_in_any_second: 50 });
  });
});

describe('stats', () => {
  it('counts requests by path with a trailing slash, whatever form was called', async () => {
    await fetch(`${emu.url}/open_api/v1.3/user/info?x=1`, { headers: { 'Access-Token': token } });
    await fetch(`${emu.url}/open_api/v1.3/user/info/`, { headers: { 'Access-Token': token } });
    const byPath = (await stats()).requests_by_path as Record<string, number>;
    expect(byPath['/open_api/v1.3/user/info/']).toBe(2);
    expect(byPath['/open_api/v1.3/segment/audience/']).toBe(1);
  });

  it('counts an unparsable mapping request as received', async () => {
    const res = await fetch(`${emu.url}/open_api/v1.3/segment/mapping/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Access-Token': token },
      body: '{"advertiser_ids": [',
    });
    expect(((await res.json()) as EnvelopeJson).code).toBe(40002);
    expect(await stats()).toMatchObject({ mapping_requests: 1, mapping_rows: 0 });
  });
});
