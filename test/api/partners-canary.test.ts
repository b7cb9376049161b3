/**
 * The token canary (style guide §12): every partner route, on its happy path and its error paths,
 * with every log line captured at trace level — the TikTok access tokens never appear in an answer
 * (body or header), a log line, or the database in the clear.
 */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TikTokClient } from '../../src/partners/tiktok/client.ts';
import { openDatabase } from '../../src/store/connect.ts';
import type { DB } from '../../src/store/schema.ts';
import { describeEachStore } from '../support/databases.ts';
import { partnerHarness, type PartnerHarness } from '../support/partners.ts';
import { consent, emulatorAdmin, SEED } from '../support/tiktok.ts';

const [US, EU] = SEED.advertisers;

describeEachStore('api: partners/tiktok token canary', ({ store, url }) => {
  let h: PartnerHarness;
  let db: Kysely<DB>;
  beforeAll(async () => {
    h = await partnerHarness(store());
    db = (await openDatabase(url())).db;
  });
  afterAll(async () => {
    await h?.close();
    await db?.destroy();
  });

  it('no token in any answer, log line or stored row, across every route and error', async () => {
    const { id, key } = await h.workspace();
    const call = h.call;

    // Connect, and the callback's refusals.
    expect((await h.connect(key)).status).toBe(302);
    const { state, redirectUri } = await h.startConnect(key);
    const back = await consent(h.emulator.url, { state, redirectUri });
    expect((await call(null, 'GET', `/oauth/tiktok/callback${back.search}`)).status).toBe(302);
    expect((await call(null, 'GET', `/oauth/tiktok/callback${back.search}`)).status).toBe(400);
    expect((await call(null, 'GET', '/oauth/tiktok/callback?auth_code=x&state=forged')).status).toBe(400);
    const { state: s2 } = await h.startConnect(key);
    expect((await call(null, 'GET', `/oauth/tiktok/callback?auth_code=bogus&state=${s2}`)).status).toBe(302);
    expect((await call(null, 'GET', '/partners/tiktok?connected=1')).status).toBe(200);
    expect((await call(null, 'GET', '/partners/tiktok?error=access_denied')).status).toBe(200);

    // Status, ad accounts, audiences: success and errors.
    expect((await call(key, 'GET', '/api/partners/tiktok')).status).toBe(200);
    expect((await call(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [US] })).status).toBe(200);
    expect((await call(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: ['nope'] })).status).toBe(400);
    expect((await call(key, 'PUT', '/api/partners/tiktok/advertisers', '{not json')).status).toBe(400);
    expect((await call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).status).toBe(200);
    expect((await call(key, 'GET', '/api/partners/tiktok/audiences?advertiser_id=nope')).status).toBe(400);
    expect((await call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: 'Canary' })).status).toBe(201);
    expect((await call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: EU, name: 'Unpicked' })).status).toBe(422);
    expect((await call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: '' })).status).toBe(400);
    expect((await call(null, 'GET', '/api/partners/tiktok')).status).toBe(401);

    // TikTok refuses the token: the 409s, then a reconnect.
    await emulatorAdmin(h.emulator.url, '/tokens/revoke', { all: true });
    expect((await call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).status).toBe(409);
    expect((await call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: 'After revoke' })).status).toBe(409);
    expect((await call(key, 'GET', '/api/partners/tiktok')).body.status).toBe('invalid_token');
    expect((await h.connect(key)).status).toBe(302);

    // A TikTok that echoes the token in its error message (the client redacts; the service does too).
    const original: TikTokClient['listAllAudiences'] = h.client.listAllAudiences;
    h.client.listAllAudiences = async (token) => ({
      ok: false,
      failure: { kind: 'bad_request', reason: 'invalid_parameter', code: 40002, httpStatus: 200, message: `TikTok /dmp/custom_audience/list/: bad token ${token}`, requestId: 'r1' },
    });
    try {
      const echoed = await call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`);
      expect(echoed.status).toBe(422);
      expect(echoed.body.error.message).toContain('[redacted]');
    } finally {
      h.client.listAllAudiences = original;
    }

    // Disconnect (revokes at TikTok), twice.
    expect((await call(key, 'DELETE', '/api/partners/tiktok')).status).toBe(200);
    expect((await call(key, 'DELETE', '/api/partners/tiktok')).status).toBe(200);
    expect((await call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).status).toBe(409);

    // The canaries: every token TikTok issued in this run.
    expect(h.issuedTokens.length).toBeGreaterThanOrEqual(3);
    expect(h.logs.some((l) => l.includes('TikTok connected'))).toBe(true);
    expect(h.logs.some((l) => l.includes('incoming request'))).toBe(true);
    const answers = h.answers.join('\n');
    const logs = h.logs.join('\n');
    const rows = JSON.stringify(await db.selectFrom('tiktok_connections').selectAll().execute());
    for (const token of h.issuedTokens) {
      expect(answers.includes(token), 'an API answer carries the token').toBe(false);
      expect(logs.includes(token), 'a log line carries the token').toBe(false);
      expect(rows.includes(token), 'the token is stored in the clear').toBe(false);
    }
    // The state and auth code of the callback are not logged either (the route logs at warn only).
    expect(logs.includes(state)).toBe(false);
    expect(logs.includes(back.searchParams.get('auth_code')!)).toBe(false);
    expect(id).toBeTruthy();
  });
});
