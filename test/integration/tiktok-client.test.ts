/**
 * The TikTok client against the emulator over real HTTP, route by route (issue #2 acceptance).
 * Where time matters the emulator runs on a fake clock, so "120 requests in one second" is exact.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/core/clock.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createTikTokClient, type TikTokClient, type TikTokResult } from '../../src/partners/tiktok/client.ts';
import { buildMapping, type MappingBody } from '../../src/partners/tiktok/index.ts';
import { consent, emulatorAdmin, SEED, type EmulatorMembers, type EmulatorStats } from '../support/tiktok.ts';

const [US, EU] = SEED.advertisers;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const REDIRECT = 'http://127.0.0.1:8080/oauth/tiktok/callback';

function expectOk<T>(r: TikTokResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.failure.kind}/${r.failure.reason}: ${r.failure.message}`);
  return r.data;
}
function expectFailure<T>(r: TikTokResult<T>) {
  if (r.ok) throw new Error('expected a failure, got ok');
  return r.failure;
}

let emulator: RunningEmulator;
let client: TikTokClient;
const clock = fakeClock('2026-11-28T12:00:00Z');

async function connect(advertiserIds: readonly string[] = SEED.advertisers): Promise<string> {
  const back = await consent(emulator.url, { state: 'st-1', redirectUri: REDIRECT, advertiserIds });
  const code = back.searchParams.get('auth_code');
  expect(code).toBeTruthy();
  return expectOk(await client.exchangeAuthCode(code!)).accessToken;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, clock });
  client = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 5_000 });
});
afterAll(async () => emulator.close());
beforeEach(async () => {
  await emulatorAdmin(emulator.url, '/reset', {});
  clock.advance(5_000); // every test starts with an empty rate window
});

describe('OAuth', () => {
  it('consent → callback carries auth_code, code and state; the exchange returns a long-lived token', async () => {
    const back = await consent(emulator.url, { state: 'abc', redirectUri: REDIRECT, advertiserIds: [US] });
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('abc');
    expect(back.searchParams.get('code')).toBe(back.searchParams.get('auth_code'));
    const token = expectOk(await client.exchangeAuthCode(back.searchParams.get('auth_code')!));
    expect(token.accessToken).toMatch(/^[0-9a-f]{40}$/);
    expect(token.advertiserIds).toEqual([US]);
    expect(token.scope.length).toBeGreaterThan(0);
  });

  it('refuses a reused auth code (40110) and an expired one', async () => {
    const code = (await consent(emulator.url, { state: 's', redirectUri: REDIRECT })).searchParams.get('auth_code')!;
    expectOk(await client.exchangeAuthCode(code));
    const reused = expectFailure(await client.exchangeAuthCode(code));
    expect(reused).toMatchObject({ kind: 'invalid_token', reason: 'invalid_auth_code', code: 40110, httpStatus: 200 });

    const late = (await consent(emulator.url, { state: 's', redirectUri: REDIRECT })).searchParams.get('auth_code')!;
    clock.advance(10 * 60_000 + 1);
    expect(expectFailure(await client.exchangeAuthCode(late)).code).toBe(40110);
  });

  it('cancel on the consent page comes back as access_denied with the state', async () => {
    const back = await consent(emulator.url, { state: 'xyz', redirectUri: REDIRECT, decision: 'cancel' });
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('xyz');
    expect(back.searchParams.has('auth_code')).toBe(false);
  });

  it('a wrong app secret is refused and never retried', async () => {
    const code = (await consent(emulator.url, { state: 's', redirectUri: REDIRECT })).searchParams.get('auth_code')!;
    const bad = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: 'wrong-secret' });
    const f = expectFailure(await bad.exchangeAuthCode(code));
    expect(f.kind).toBe('bad_request');
    expect(f.message).not.toContain('wrong-secret');
  });

  it('lists the granted advertisers, their info and the user', async () => {
    const token = await connect();
    expect(expectOk(await client.getAuthorizedAdvertisers(token))).toEqual([
      { advertiserId: US, advertiserName: 'Acme US' },
      { advertiserId: EU, advertiserName: 'Acme EU' },
    ]);
    const info = expectOk(await client.getAdvertiserInfo(token, [US, EU]));
    expect(info.map((a) => [a.advertiserId, a.name])).toEqual([[US, 'Acme US'], [EU, 'Acme EU']]);
    expect(expectOk(await client.getUserInfo(token)).displayName).toEqual(expect.any(String));
  });

  it('an advertiser outside the grant is a permission failure (40001)', async () => {
    const token = await connect([US]);
    expect(expectFailure(await client.getAdvertiserInfo(token, [EU]))).toMatchObject({ kind: 'permission', code: 40001 });
    expect(expectFailure(await client.createAudience(token, EU, 'x'))).toMatchObject({ kind: 'permission', code: 40001 });
  });

  it('a revoked or unknown token → 40105 invalid_token on every route, and the token is never in the message', async () => {
    const token = await connect();
    expect(expectOk(await client.revokeToken(token)).advertiserIds).toEqual([...SEED.advertisers]);
    const results: TikTokResult<unknown>[] = [
      await client.getUserInfo(token),
      await client.listAudiences(token, US),
      await client.mapping(token, buildMapping({ advertiserId: US, audienceId: '1', action: 'add', fields: ['email'], items: [{ hashes: { email: sha('a@b.co') } }] })),
    ];
    for (const r of results) {
      const f = expectFailure(r);
      expect(f).toMatchObject({ kind: 'invalid_token', reason: 'token_revoked', code: 40105, httpStatus: 200 });
      expect(f.message).not.toContain(token);
    }
    const unknown = 'f'.repeat(40);
    expect(expectFailure(await client.getUserInfo(unknown))).toMatchObject({ kind: 'invalid_token', code: 40105 });
    expect(expectFailure(await client.getUserInfo(''))).toMatchObject({ kind: 'invalid_token', code: 40104 });
  });

  it('a token revoked through the emulator admin API stops working too', async () => {
    const token = await connect();
    await emulatorAdmin(emulator.url, '/tokens/revoke', { access_token: token });
    expect(expectFailure(await client.getAuthorizedAdvertisers(token)).code).toBe(40105);
  });
});

describe('audiences', () => {
  it('create, list (paginated), get and delete both ways', async () => {
    const token = await connect();
    const long = `Canvas 42 — ${'VIP '.repeat(30)}`;
    const a = expectOk(await client.createAudience(token, US, long)).audienceId;
    const b = expectOk(await client.createAudience(token, US, 'Second')).audienceId;
    expect(a).toMatch(/^\d+$/);
    expect(b).not.toBe(a);

    const got = expectOk(await client.getAudience(token, US, a));
    expect(got).toMatchObject({ audienceId: a, type: 'Partner', size: 0 });
    expect(got.name).toBe(`${long.slice(0, 67)}...`);

    const page1 = expectOk(await client.listAudiences(token, US, 1, 1));
    expect(page1).toMatchObject({ page: 1, totalPages: 2, total: 2 });
    expect(page1.audiences).toHaveLength(1);
    expect(expectOk(await client.listAllAudiences(token, US)).map((x) => x.audienceId).sort()).toEqual([a, b].sort());
    expect(expectOk(await client.listAllAudiences(token, EU))).toEqual([]);

    expectOk(await client.deleteAudience(token, US, a));
    expect(expectFailure(await client.getAudience(token, US, a)).kind).toBe('audience_not_found');
    expect(expectOk(await client.listAllAudiences(token, US)).map((x) => x.audienceId)).toEqual([b]);

    await emulatorAdmin(emulator.url, `/audiences/${b}/delete`, {});
    expect(expectFailure(await client.getAudience(token, US, b)).kind).toBe('audience_not_found');
  });

  it('the 401st audience of an ad account is refused with a clear message', async () => {
    const token = await connect();
    for (let i = 1; i <= 400; i++) expectOk(await client.createAudience(token, US, `A${i}`));
    const f = expectFailure(await client.createAudience(token, US, 'one too many'));
    expect(f).toMatchObject({ kind: 'bad_request', code: 40002 });
    expect(f.message).toMatch(/limit \(400\)/);
    expectOk(await client.createAudience(token, EU, 'other account is fine'));
    expect(expectOk(await client.listAllAudiences(token, US))).toHaveLength(400);
  });
});

describe('mapping', () => {
  let token: string;
  let audienceId: string;
  beforeEach(async () => {
    token = await connect();
    audienceId = expectOk(await client.createAudience(token, US, 'Mapping test')).audienceId;
  });
  const members = async (id = audienceId) => emulatorAdmin<EmulatorMembers>(emulator.url, `/audiences/${id}/members`);

  it('adds users with {} placeholders, then removes them', async () => {
    const users = [
      { hashes: { email: sha('ann@example.com'), phone: sha('+15555550100') } },
      { hashes: { idfa: sha('6d92078a-8246-4ba4-ae5b-76104861e7dc') } },
      { hashes: { gaid: sha('38400000-8cf0-11bd-b23e-10b96e40000d'), email: sha('bob@example.com') } },
    ];
    const add = buildMapping({ advertiserId: US, audienceId, action: 'add', fields: ['email', 'phone', 'idfa', 'gaid'], items: users });
    expect(expectOk(await client.mapping(token, add))).toBeNull();
    const m = await members();
    expect(m.members.EMAIL_SHA256?.sort()).toEqual([sha('ann@example.com'), sha('bob@example.com')].sort());
    expect(m.members.PHONE_SHA256).toEqual([sha('+15555550100')]);
    expect(m.members.IDFA_SHA256).toEqual([sha('6d92078a-8246-4ba4-ae5b-76104861e7dc')]);
    expect(m.members.AAID_SHA256).toEqual([sha('38400000-8cf0-11bd-b23e-10b96e40000d')]);

    const remove = buildMapping({ advertiserId: US, audienceId, action: 'remove', fields: ['email', 'phone', 'idfa', 'gaid'], items: users.slice(0, 1) });
    expectOk(await client.mapping(token, remove));
    const after = await members();
    expect(after.members.EMAIL_SHA256).toEqual([sha('bob@example.com')]);
    expect(after.members.PHONE_SHA256 ?? []).toEqual([]);

    const stats = await emulatorAdmin<EmulatorStats>(emulator.url, '/stats');
    expect(stats).toMatchObject({ mapping_requests: 2, mapping_rows: 4, max_rows_in_request: 3, rate_limited: 0 });
  });

  it('10,000 rows are accepted; 10,001 rows → 40002 and nothing changes', async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ hashes: { email: sha(`u${i}@example.com`) } }));
    const ok = buildMapping({ advertiserId: US, audienceId, action: 'add', fields: ['email'], items: rows(10_000) });
    expectOk(await client.mapping(token, ok));
    const tooMany: MappingBody = { ...ok, batch_data: [...ok.batch_data, [{ id: sha('extra@example.com'), audience_ids: [audienceId] }]] };
    expect(expectFailure(await client.mapping(token, tooMany))).toMatchObject({ kind: 'bad_request', code: 40002, httpStatus: 200 });
    expect((await members()).counts.EMAIL_SHA256).toBe(10_000);
    expect(expectOk(await client.getAudience(token, US, audienceId)).size).toBe(10_000);
  });

  it.each<[string, (b: MappingBody) => MappingBody]>([
    ['an unknown id_schema', (b) => ({ ...b, id_schema: ['GAID_SHA256' as never] })],
    ['a non-hex id', (b) => ({ ...b, batch_data: [[{ id: 'z'.repeat(64), audience_ids: b.batch_data[0]![0]!.audience_ids as string[] }]] })],
    ['an unhashed email', (b) => ({ ...b, batch_data: [[{ id: 'ann@example.com', audience_ids: b.batch_data[0]![0]!.audience_ids as string[] }]] })],
    ['a row shorter than id_schema', (b) => ({ ...b, id_schema: ['EMAIL_SHA256', 'PHONE_SHA256'] })],
    ['a duplicate id_schema', (b) => ({ ...b, id_schema: ['EMAIL_SHA256', 'EMAIL_SHA256'], batch_data: [[...b.batch_data[0]!, {}]] })],
    ['an empty batch', (b) => ({ ...b, batch_data: [] })],
  ])('%s → 40002 bad_request', async (_name, mutate) => {
    const body = buildMapping({ advertiserId: US, audienceId, action: 'add', fields: ['email'], items: [{ hashes: { email: sha('a@b.co') } }] });
    expect(expectFailure(await client.mapping(token, mutate(body)))).toMatchObject({ kind: 'bad_request', code: 40002, httpStatus: 200 });
    expect((await members()).counts.EMAIL_SHA256 ?? 0).toBe(0);
  });

  it('an audience deleted on TikTok → audience_not_found', async () => {
    await emulatorAdmin(emulator.url, `/audiences/${audienceId}/delete`, {});
    const body = buildMapping({ advertiserId: US, audienceId, action: 'add', fields: ['email'], items: [{ hashes: { email: sha('a@b.co') } }] });
    expect(expectFailure(await client.mapping(token, body))).toMatchObject({ kind: 'audience_not_found', code: 40002 });
  });

  it('120 concurrent requests in one second → exactly 50 accepted, 70 rate-limited with HTTP 200', async () => {
    const body = buildMapping({ advertiserId: US, audienceId, action: 'add', fields: ['email'], items: [{ hashes: { email: sha('a@b.co') } }] });
    const results = await Promise.all(Array.from({ length: 120 }, () => client.mapping(token, body)));
    const limited = results.filter((r) => !r.ok);
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    expect(limited).toHaveLength(70);
    for (const r of limited) expect(expectFailure(r)).toMatchObject({ kind: 'rate_limited', code: 40100, httpStatus: 200 });
    const stats = await emulatorAdmin<EmulatorStats>(emulator.url, '/stats');
    expect(stats).toMatchObject({ mapping_requests: 120, rate_limited: 70, max_mapping_requests_in_any_second: 120 });

    clock.advance(1_001); // the sliding window has moved past all of them
    expectOk(await client.mapping(token, body));
  });

  it('gateway failures and timeouts are transient', async () => {
    const body = buildMapping({ advertiserId: US, audienceId, action: 'add', fields: ['email'], items: [{ hashes: { email: sha('a@b.co') } }] });
    await emulatorAdmin(emulator.url, '/faults', { fail_next: { count: 1, http_status: 502 } });
    expect(expectFailure(await client.mapping(token, body))).toMatchObject({ kind: 'transient', reason: 'http_502', httpStatus: 502, code: null });
    await emulatorAdmin(emulator.url, '/faults', { fail_next: { count: 1, code: 50000 } });
    expect(expectFailure(await client.mapping(token, body))).toMatchObject({ kind: 'transient', code: 50000 });

    await emulatorAdmin(emulator.url, '/faults', { latency_ms: 400 });
    const impatient = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 100 });
    expect(expectFailure(await impatient.mapping(token, body))).toMatchObject({ kind: 'transient', reason: 'timeout' });
    await emulatorAdmin(emulator.url, '/faults', {});
    expectOk(await client.mapping(token, body));
  });

  it('a closed port is a transient network failure', async () => {
    const nowhere = createTikTokClient({ apiBase: 'http://127.0.0.1:9', appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 2_000 });
    expect(expectFailure(await nowhere.getUserInfo(token))).toMatchObject({ kind: 'transient', reason: 'network_error' });
  });
});

describe('secrets in answers', () => {
  it('redacts the token and the app secret if an answer ever echoes them', async () => {
    const token = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0';
    const echo = async () => ({ status: 200, text: JSON.stringify({ code: 40105, message: `token ${token} with secret ${SEED.appSecret} is revoked`, data: {} }) });
    const c = createTikTokClient({ apiBase: 'http://127.0.0.1:1', appId: SEED.appId, appSecret: SEED.appSecret, transport: echo });
    const f = expectFailure(await c.getUserInfo(token));
    expect(f.message).not.toContain(token);
    expect(f.message).not.toContain(SEED.appSecret);
    expect(f.message).toContain('[redacted]');
  });
});
