/**
 * The TikTok partner routes (spec §4; issue #4 item 1) through the public API only, against the
 * in-process emulator, on SQLite and PostgreSQL: the newcomer flow, single-use states, consent
 * cancelled, a revoked token, reconnect, disconnect and the ad-account rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTikTokClient } from '../../src/partners/tiktok/client.ts';
import { createConnectionService, STATE_TTL_MS } from '../../src/sync/connections.ts';
import { createTokenCipher, deriveTokenKey } from '../../src/sync/token-cipher.ts';
import { describeEachStore } from '../support/databases.ts';
import { partnerHarness, PUBLIC_URL, sealV1, TEST_SECRET_KEY, type PartnerHarness } from '../support/partners.ts';
import { consent, emulatorAdmin, SEED } from '../support/tiktok.ts';

const [US, EU] = SEED.advertisers;

describeEachStore('api: partners/tiktok', ({ store }) => {
  let h: PartnerHarness;
  const reconnects: string[] = [];
  beforeAll(async () => {
    h = await partnerHarness(store());
    h.connections.onReconnect((ws) => void reconnects.push(ws));
  });
  afterAll(async () => {
    await h?.close();
  });

  const status = (key: string) => h.call(key, 'GET', '/api/partners/tiktok');

  it('the newcomer flow: connect, consent on TikTok, pick an ad account, create an audience and see it listed', async () => {
    const { id, key } = await h.workspace();
    expect((await status(key)).body).toEqual({ status: 'disconnected', advertisers: [], status_reason: null, emulator: true });

    const connect = await h.call(key, 'POST', '/api/partners/tiktok/connect');
    expect(connect.status).toBe(200);
    const authorize = new URL(connect.body.authorize_url);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${h.emulator.url}/portal/auth`);
    expect(authorize.searchParams.get('app_id')).toBe(SEED.appId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/oauth/tiktok/callback`);
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url

    // Follow the authorize_url as a browser would: TikTok's consent page lists the ad accounts.
    const page = await fetch(authorize);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="advertiser_ids"');

    const back = await consent(h.emulator.url, { state: authorize.searchParams.get('state')!, redirectUri: authorize.searchParams.get('redirect_uri')! });
    expect(back.searchParams.get('auth_code')).toBeTruthy();
    const callback = await h.call(null, 'GET', `/oauth/tiktok/callback${back.search}`);
    expect(callback.status).toBe(302);
    expect(callback.headers.location).toBe('/partners/tiktok?connected=1');
    expect(reconnects).toContain(id);

    const landing = await h.call(null, 'GET', '/partners/tiktok?connected=1');
    expect(landing.status).toBe(200);
    expect(landing.headers['content-type']).toMatch(/^text\/html/);
    expect(landing.text).toContain('Connected');
    expect(landing.text).toContain('Built-in TikTok emulator');

    expect((await status(key)).body).toEqual({
      status: 'connected',
      advertisers: [
        { advertiser_id: US, advertiser_name: 'Acme US', selected: true },
        { advertiser_id: EU, advertiser_name: 'Acme EU', selected: true },
      ],
      status_reason: null,
      emulator: true,
    });

    const picked = await h.call(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [US] });
    expect(picked.status).toBe(200);
    expect(picked.body.advertisers.map((a: { selected: boolean }) => a.selected)).toEqual([true, false]);
    expect(await h.connections.launchContext(id)).toEqual({ status: 'connected', advertiserIds: [US] });

    expect(await h.call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).toMatchObject({ status: 200, body: { audiences: [] } });
    const created = await h.call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: 'VIP retarget' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ audience_id: expect.stringMatching(/^\d+$/) });
    const listed = await h.call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`);
    expect(listed.body.audiences).toEqual([{ audience_id: created.body.audience_id, name: 'VIP retarget', type: expect.any(String), size: 0 }]);
  });

  it('prefers auth_code but falls back to code', async () => {
    const { key } = await h.workspace();
    const { state, redirectUri } = await h.startConnect(key);
    const back = await consent(h.emulator.url, { state, redirectUri, advertiserIds: [EU] });
    const onlyCode = new URLSearchParams({ code: back.searchParams.get('code')!, state });
    expect((await h.call(null, 'GET', `/oauth/tiktok/callback?${onlyCode}`)).headers.location).toBe('/partners/tiktok?connected=1');
    expect((await status(key)).body.advertisers).toEqual([{ advertiser_id: EU, advertiser_name: 'Acme EU', selected: true }]);
  });

  describe('the state', () => {
    it('works once: a replayed callback is refused with a 400 page and changes nothing', async () => {
      const { id, key } = await h.workspace();
      const { state, redirectUri } = await h.startConnect(key);
        const back = await consent(h.emulator.url, { state, redirectUri });
      expect((await h.call(null, 'GET', `/oauth/tiktok/callback${back.search}`)).status).toBe(302);
      const before = await store().getTikTokConnection(id);
      const replay = await h.call(null, 'GET', `/oauth/tiktok/callback${back.search}`);
      expect(replay.status).toBe(400);
      expect(replay.headers['content-type']).toMatch(/^text\/html/);
      expect(replay.text).toMatch(/unknown, has expired \(links last 10 minutes\) or was already used/);
      expect(await store().getTikTokConnection(id)).toEqual(before);
    });

    it('expires after 10 minutes (10 min + 1 ms on the clock is refused)', async () => {
      const { id, key } = await h.workspace();
      const { state, redirectUri } = await h.startConnect(key);
        const back = await consent(h.emulator.url, { state, redirectUri });
      h.clock.advance(STATE_TTL_MS + 1);
      expect((await h.call(null, 'GET', `/oauth/tiktok/callback${back.search}`)).status).toBe(400);
      expect(await store().getTikTokConnection(id)).toBeNull();
      expect((await status(key)).body.status).toBe('disconnected');
    });

    it('binds the workspace: a state connects the workspace that asked for it and no other', async () => {
      const a = await h.workspace();
      const b = await h.workspace();
      const { state: stateOfA, redirectUri } = await h.startConnect(a.key);
      const { state: stateOfB } = await h.startConnect(b.key);
        // B's admin completes a consent but the callback carries A's state: it is A's, not B's.
      const back = await consent(h.emulator.url, { state: stateOfA, redirectUri });
      expect((await h.call(null, 'GET', `/oauth/tiktok/callback${back.search}`)).status).toBe(302);
      expect((await status(a.key)).body.status).toBe('connected');
      expect((await status(b.key)).body.status).toBe('disconnected');
      expect(stateOfB).not.toBe(stateOfA);
      expect(await store().getTikTokConnection(b.id)).toBeNull();
    });

    it('refuses a forged or missing state without touching any workspace', async () => {
      const { id, key } = await h.workspace();
      await h.startConnect(key);
      for (const query of ['?auth_code=x&code=x&state=forged-state-value', '?auth_code=x&code=x', '?state=', '?error=access_denied&state=nope']) {
        const res = await h.call(null, 'GET', `/oauth/tiktok/callback${query}`);
        expect(res.status, query).toBe(400);
        expect(res.text).toContain('Nothing was changed');
      }
      expect(await store().getTikTokConnection(id)).toBeNull();
    });
  });

  it('consent cancelled: redirects with access_denied and stays disconnected', async () => {
    const { key } = await h.workspace();
    const res = await h.connect(key, { decision: 'cancel' });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/partners/tiktok?error=access_denied');
    expect((await status(key)).body.status).toBe('disconnected');
    const page = await h.call(null, 'GET', '/partners/tiktok?error=access_denied');
    expect(page.text).toContain('the consent was cancelled');
  });

  it('a code TikTok refuses: redirects with auth_code_rejected and stays disconnected', async () => {
    const { key } = await h.workspace();
    const { state } = await h.startConnect(key);
    const res = await h.call(null, 'GET', `/oauth/tiktok/callback?auth_code=not-a-real-code&state=${state}`);
    expect(res.headers.location).toBe('/partners/tiktok?error=auth_code_rejected');
    expect((await status(key)).body.status).toBe('disconnected');
  });

  it('a token revoked on TikTok: listing marks it invalid_token, launch sees it, a reconnect restores it', async () => {
    const { id, key } = await h.workspace();
    await h.connect(key);
    await h.call(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [EU] });
    const { token: before } = await h.connections.accessToken(id);
    expect(before).toBeTruthy();
    await emulatorAdmin(h.emulator.url, '/tokens/revoke', { access_token: before });

    const listed = await h.call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${EU}`);
    expect(listed.status).toBe(409);
    expect(listed.body.error.code).toBe('tiktok_token_invalid');
    expect(listed.body.error.message).toMatch(/token_revoked.*reconnect TikTok/);
    expect((await status(key)).body).toMatchObject({ status: 'invalid_token', status_reason: 'token_revoked' });
    expect(await h.connections.launchContext(id)).toEqual({ status: 'invalid_token', advertiserIds: [EU] });
    expect(await h.connections.accessToken(id)).toEqual({ token: null, status: 'invalid_token' });
    expect((await h.call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: EU, name: 'x' })).body.error.code).toBe('tiktok_token_invalid');

    const fired = reconnects.length;
    expect((await h.connect(key)).headers.location).toBe('/partners/tiktok?connected=1');
    expect(reconnects.slice(fired)).toEqual([id]);
    const after = await status(key);
    expect(after.body.status).toBe('connected');
    // Earlier picks survive a reconnect.
    expect(after.body.advertisers.filter((a: { selected: boolean }) => a.selected).map((a: { advertiser_id: string }) => a.advertiser_id)).toEqual([EU]);
    const { token: now } = await h.connections.accessToken(id);
    expect(now).toBeTruthy();
    expect(now).not.toBe(before);
    // A late failure of the old token cannot invalidate the new one.
    expect(await h.connections.markTokenInvalid(id, 'token_revoked', { token: before! })).toBe(false);
    expect((await status(key)).body.status).toBe('connected');
    expect((await h.call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${EU}`)).status).toBe(200);
  });

  it('disconnect: erases the token, revokes it at TikTok, forgets the ad accounts; idempotent', async () => {
    const { id, key } = await h.workspace();
    await h.connect(key);
    const { token } = await h.connections.accessToken(id);
    const res = await h.call(key, 'DELETE', '/api/partners/tiktok');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'disconnected', advertisers: [] });
    expect((await store().getTikTokConnection(id))!.encryptedToken).toBeNull();
    const check = await h.client.getUserInfo(token!);
    expect(check.ok ? 'ok' : check.failure.kind).toBe('invalid_token');
    expect(await h.connections.launchContext(id)).toEqual({ status: 'disconnected', advertiserIds: [] });
    expect(await h.connections.accessToken(id)).toEqual({ token: null, status: 'disconnected' });
    expect((await h.call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).body.error.code).toBe('tiktok_not_connected');
    expect((await h.call(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [US] })).status).toBe(409);
    expect((await h.call(key, 'DELETE', '/api/partners/tiktok')).status).toBe(200);
  });

  it('disconnect succeeds when TikTok refuses the revoke, and when TikTok does not answer at all', async () => {
    const { id, key } = await h.workspace();
    await h.connect(key);
    const { token } = await h.connections.accessToken(id);
    await emulatorAdmin(h.emulator.url, '/tokens/revoke', { access_token: token });
    expect((await h.call(key, 'DELETE', '/api/partners/tiktok')).status).toBe(200);
    expect((await status(key)).body.status).toBe('disconnected');

    const other = await h.workspace();
    await h.connect(other.key);
    const unreachable = createConnectionService({
      store: store(),
      clock: h.clock,
      client: createTikTokClient({ apiBase: 'http://127.0.0.1:1', appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 1_000 }),
      cipher: h.cipher,
      publicUrl: PUBLIC_URL,
      authUrl: `${h.emulator.url}/portal/auth`,
      appId: SEED.appId,
    });
    expect(await unreachable.disconnect(other.id)).toMatchObject({ status: 'disconnected', advertisers: [] });
    expect((await status(other.key)).body.status).toBe('disconnected');
  });

  describe('ad accounts', () => {
    it('refuses unknown ones, listing them; an unselected one cannot get audiences created', async () => {
      const { key } = await h.workspace();
      await h.connect(key, { advertiserIds: [US] });
      const bad = await h.call(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [US, '123', '456'] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('unknown_advertiser');
      expect(bad.body.error.message).toContain('123, 456');
      expect((await h.call(key, 'PUT', '/api/partners/tiktok/advertisers', {})).status).toBe(400);
      expect((await h.call(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: 'x' })).status).toBe(400);

      expect((await h.call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${EU}`)).body.error.code).toBe('unknown_advertiser');
      expect((await h.call(key, 'GET', '/api/partners/tiktok/audiences')).status).toBe(400);
      expect((await h.call(key, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [] })).status).toBe(200);
      const unselected = await h.call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: 'x' });
      expect(unselected.status).toBe(422);
      expect(unselected.body.error.code).toBe('advertiser_not_selected');
      expect((await h.call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: '   ' })).status).toBe(400);
      expect((await h.call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US })).status).toBe(400);
    });

    it('serialises creates per workspace and ad account: parallel clicks never overlap at TikTok', async () => {
      const { id, key } = await h.workspace();
      await h.connect(key, { advertiserIds: [US] });
      let inFlight = 0;
      let maxInFlight = 0;
      const original = h.client.createAudience;
      h.client.createAudience = async (...args) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await original(...args);
        } finally {
          inFlight--;
        }
      };
      try {
        const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => h.call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: US, name: `click ${i}` })));
        expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
        expect(new Set(answers.map((a) => a.body.audience_id)).size).toBe(5);
      } finally {
        h.client.createAudience = original;
      }
      expect(maxInFlight).toBe(1);
      expect(id).toBeTruthy();
    });
  });

  it('guards /api/partners with the API key; the callback and the partner page are public', async () => {
    for (const [method, url] of [
      ['GET', '/api/partners/tiktok'],
      ['POST', '/api/partners/tiktok/connect'],
      ['PUT', '/api/partners/tiktok/advertisers'],
      ['DELETE', '/api/partners/tiktok'],
      ['GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`],
      ['POST', '/api/partners/tiktok/audiences'],
    ] as const) {
      expect((await h.call(null, method, url)).status, `${method} ${url}`).toBe(401);
    }
    expect((await h.call(null, 'GET', '/partners/tiktok')).status).toBe(200);
    expect((await h.call(null, 'GET', '/oauth/tiktok/callback?state=x')).status).toBe(400); // reached the handler, not the auth hook
  });

  it('shows no error text it was not made for: markup and odd codes are not echoed, an unknown plain code is escaped', async () => {
    const page = await h.call(null, 'GET', `/partners/tiktok?error=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>');
    expect(page.text).not.toContain('alert(1)');
    expect(page.text).toContain('TikTok was not connected.');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await h.call(null, 'GET', '/partners/tiktok?error=some_new_code')).text).toContain('TikTok was not connected (<code>some_new_code</code>).');
  });

  it('reads only its own error texts: prototype names are codes like any other, not a 500', async () => {
    for (const code of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']) {
      const page = await h.call(null, 'GET', `/partners/tiktok?error=${code}`);
      expect(page.status, code).toBe(200);
      expect(page.text, code).not.toMatch(/function|\[object|native code|__proto__/);
      expect(page.text, code).toMatch(/TikTok was not connected/);
    }
  });

  it('documents every partner route in the OpenAPI document', async () => {
    const doc = (await h.call(null, 'GET', '/api/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/partners/tiktok', '/api/partners/tiktok/connect', '/oauth/tiktok/callback', '/api/partners/tiktok/advertisers', '/api/partners/tiktok/audiences']));
    expect(doc.paths['/oauth/tiktok/callback'].get.security).toEqual([]);
  });
});

describeEachStore('api: partners/tiktok limits and keys', ({ store }) => {
  let h: PartnerHarness;
  beforeAll(async () => {
    h = await partnerHarness(store(), { emulator: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the 401st audience of an ad account is a clear 409 audience_limit_reached with TikTok’s message', async () => {
    const { id, key } = await h.workspace();
    await h.connect(key, { advertiserIds: [EU] });
    const { token } = await h.connections.accessToken(id);
    for (let i = 0; i < 400; i++) {
      const r = await h.client.createAudience(token!, EU, `seed ${i}`);
      expect(r.ok).toBe(true);
    }
    const res = await h.call(key, 'POST', '/api/partners/tiktok/audiences', { advertiser_id: EU, name: 'one too many' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('audience_limit_reached');
    expect(res.body.error.message).toMatch(/at most 400 audiences per ad account/);
    expect(res.body.error.message).toMatch(/TikTok: The number of audiences has reached the limit \(400\)/);
    expect((await h.call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${EU}`)).body.audiences).toHaveLength(400);
  });

  it('without the emulator: no banner and emulator: false', async () => {
    const { key } = await h.workspace();
    expect((await h.call(key, 'GET', '/api/partners/tiktok')).body.emulator).toBe(false);
    expect((await h.call(null, 'GET', '/partners/tiktok?connected=1')).text).not.toContain('Built-in TikTok emulator');
  });

  it('a changed encryption key: the connection turns invalid_token with a reason naming it, never a 5xx', async () => {
    const { id, key } = await h.workspace();
    await h.connect(key, { advertiserIds: [US] });
    const rotated = createConnectionService({
      store: store(),
      clock: h.clock,
      client: h.client,
      cipher: createTokenCipher(deriveTokenKey('a-completely-different-secret-key-0000')),
      publicUrl: PUBLIC_URL,
      authUrl: `${h.emulator.url}/portal/auth`,
      appId: SEED.appId,
    });
    await expect(rotated.listAudiences(id, US)).rejects.toMatchObject({ code: 'tiktok_token_invalid', message: expect.stringMatching(/encryption key changed/) });
    expect(await rotated.status(id)).toMatchObject({ status: 'invalid_token', status_reason: 'secret_key_changed' });
    expect(await rotated.accessToken(id)).toEqual({ token: null, status: 'invalid_token' });
  });

  it('a sealed token copied into another workspace does not open there: invalid_token, never a 5xx, and never used', async () => {
    const [owner, viaApi, viaSender] = [await h.workspace(), await h.workspace(), await h.workspace()];
    for (const w of [owner, viaApi, viaSender]) await h.connect(w.key, { advertiserIds: [US] });
    const sealedForOwner = (await store().getTikTokConnection(owner.id))!.encryptedToken!;
    for (const w of [viaApi, viaSender]) await store().saveTikTokConnection({ workspaceId: w.id, appId: SEED.appId, encryptedToken: sealedForOwner }, h.clock.now());

    const listed = await h.call(viaApi.key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`);
    expect(listed.status).toBe(409);
    expect(listed.body.error).toMatchObject({ code: 'tiktok_token_invalid', message: expect.stringMatching(/reconnect TikTok/) });
    expect((await h.call(viaApi.key, 'GET', '/api/partners/tiktok')).body).toMatchObject({ status: 'invalid_token', status_reason: 'secret_key_changed' });
    expect(await h.connections.accessToken(viaSender.id)).toEqual({ token: null, status: 'invalid_token' });
    // The owner's connection is untouched and works.
    expect((await h.call(owner.key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).status).toBe(200);
    expect((await h.connections.accessToken(owner.id)).token).toEqual(expect.any(String));
  });

  it('a token sealed before tokens were bound to their workspace (v1) still works, and is sealed again bound to it', async () => {
    const { id, key } = await h.workspace();
    await h.connect(key, { advertiserIds: [US] });
    const { token } = await h.connections.accessToken(id);
    await store().saveTikTokConnection({ workspaceId: id, appId: SEED.appId, encryptedToken: sealV1(deriveTokenKey(TEST_SECRET_KEY), token!) }, h.clock.now());

    expect((await h.call(key, 'GET', `/api/partners/tiktok/audiences?advertiser_id=${US}`)).status).toBe(200);
    const resealed = (await store().getTikTokConnection(id))!.encryptedToken!;
    expect(resealed).toMatch(/^v2:/);
    expect(h.cipher.decrypt(resealed, id)).toBe(token);
    expect(() => h.cipher.decrypt(resealed, 'ws_someone_else')).toThrow(/cannot be decrypted/);
    expect(await h.connections.accessToken(id)).toEqual({ token, status: 'connected' });
    expect((await store().getTikTokConnection(id))!.encryptedToken).toBe(resealed); // sealed again once, not on every read
  });

  it('a token of another TikTok app (emulator → real credentials) is reported invalid_token (app_changed), not used', async () => {
    const { id, key } = await h.workspace();
    await h.connect(key, { advertiserIds: [US] });
    const other = createConnectionService({ store: store(), clock: h.clock, client: h.client, cipher: h.cipher, publicUrl: PUBLIC_URL, authUrl: 'https://example.test/auth', appId: 'another-app' });
    expect(await other.status(id)).toMatchObject({ status: 'invalid_token', status_reason: 'app_changed' });
    expect(await other.launchContext(id)).toEqual({ status: 'invalid_token', advertiserIds: [US] });
    expect(await other.accessToken(id)).toEqual({ token: null, status: 'invalid_token' });
  });
});
