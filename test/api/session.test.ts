/**
 * Members and sessions over HTTP (issue 17; spec §8), on both stores: first-run setup, sign-in and its
 * rate limit, the cookie's flags, CSRF, roles, one-time links, expiry and sign-out.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMemberService, SESSION_IDLE_MS, SIGN_IN_LINK_TTL_MS } from '../../src/members/service.ts';
import { describeEachStore } from '../support/databases.ts';
import { partnerHarness, type PartnerHarness } from '../support/partners.ts';
import { browserOf, signedInMember, type Browser } from '../support/sessions.ts';

const CANVAS = { name: 'c', entry: { type: 'api' }, audience: null, first_step: null, steps: [] };
const json = (res: LightMyRequestResponse) => JSON.parse(res.body);

describeEachStore('api: members and sessions', ({ store }) => {
  let h: PartnerHarness;
  let admin: Browser;
  let workspaceId: string;
  const post = (url: string, body: unknown) => h.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  beforeAll(async () => {
    h = await partnerHarness(store());
  });
  afterAll(async () => {
    await h?.close();
  });

  it('first-run setup: refuses a short password saying the minimum, then creates the workspace and admin and signs in, once', async () => {
    // The dashboard asks whether setup is open before it shows the setup page or sign-in.
    expect(json(await h.app.inject({ method: 'GET', url: '/api/setup' }))).toEqual({ needed: true });
    const short = await post('/api/setup', { workspace_name: 'Acme', email: 'Admin@Example.com', password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(json(short).error.message).toMatch(/at least 8 characters/);
    const res = await post('/api/setup', { workspace_name: 'Acme', email: 'Admin@Example.com', password: 'correct horse battery' });
    expect(res.statusCode).toBe(201);
    expect(json(res)).toMatchObject({ member: { email: 'admin@example.com', role: 'admin' }, workspace: { name: 'Acme' } });
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^cohort_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/Secure/); // COHORT_PUBLIC_URL is http here
    admin = browserOf(h.app, res);
    workspaceId = json(res).workspace.id;
    const again = await post('/api/setup', { workspace_name: 'Other', email: 'eve@example.com', password: 'correct horse battery' });
    expect(again.statusCode).toBe(409);
    expect(json(again).error.code).toBe('setup_done');
    expect(await store().countMembers()).toBe(1);
    expect(json(await h.app.inject({ method: 'GET', url: '/api/setup' }))).toEqual({ needed: false });
  });

  it('GET /api/session answers the member, the workspace and the CSRF token; 401 without a session', async () => {
    const res = await admin.send('GET', '/api/session');
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ member: { email: 'admin@example.com', role: 'admin' }, workspace: { id: workspaceId, name: 'Acme' }, csrf_token: admin.csrf });
    expect((await h.app.inject({ method: 'GET', url: '/api/session' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/api/session', cookies: { cohort_session: 'forged' } })).statusCode).toBe(401);
    const ws = await h.workspace();
    expect((await h.call(ws.key, 'GET', '/api/session')).status).toBe(401);
  });

  it('CSRF: a cookie-authenticated POST needs x-csrf-token; an API-key POST does not', async () => {
    const none = await admin.send('POST', '/api/canvases', CANVAS, { csrf: false });
    expect([none.statusCode, json(none).error.code]).toEqual([403, 'csrf_required']);
    const wrong = await admin.send('POST', '/api/canvases', CANVAS, { csrf: `${admin.csrf.slice(0, -1)}x` });
    expect([wrong.statusCode, json(wrong).error.code]).toEqual([403, 'csrf_invalid']);
    const ok = await admin.send('POST', '/api/canvases', CANVAS);
    expect(ok.statusCode).toBe(201);
    // Scoped to the session's workspace.
    expect((await store().getCanvas(workspaceId, json(ok).id))?.workspaceId).toBe(workspaceId);
    const ws = await h.workspace();
    expect((await h.call(ws.key, 'POST', '/api/canvases', CANVAS)).status).toBe(201);
  });

  it('roles: viewers read, editors edit, only admins connect and disconnect TikTok (403 forbidden otherwise)', async () => {
    const viewer = await signedInMember(h.app, store(), h.clock, workspaceId, 'viewer');
    const editor = await signedInMember(h.app, store(), h.clock, workspaceId, 'editor');
    expect((await viewer.send('GET', '/api/canvases')).statusCode).toBe(200);
    expect((await viewer.send('GET', '/api/partners/tiktok')).statusCode).toBe(200);
    for (const [who, method, url, body] of [
      [viewer, 'POST', '/api/canvases', CANVAS],
      [viewer, 'POST', '/api/partners/tiktok/connect', undefined],
      [viewer, 'DELETE', '/api/partners/tiktok', undefined],
      [editor, 'POST', '/api/partners/tiktok/connect', undefined],
      [editor, 'DELETE', '/api/partners/tiktok', undefined],
      [editor, 'PUT', '/api/partners/tiktok/advertisers', { advertiser_ids: [] }],
    ] as const) {
      const res = await who.send(method, url, body);
      expect([res.statusCode, json(res).error.code], `${method} ${url}`).toEqual([403, 'forbidden']);
    }
    expect((await editor.send('POST', '/api/canvases', CANVAS)).statusCode).toBe(201);
    const connect = await admin.send('POST', '/api/partners/tiktok/connect');
    expect(connect.statusCode).toBe(200);
    expect((await admin.send('DELETE', '/api/partners/tiktok')).statusCode).toBe(200);
  });

  it('a connect started by a session binds the OAuth state to that browser (the callback needs its cookie)', async () => {
    const stateOf = (res: LightMyRequestResponse) => new URL(json(res).authorize_url).searchParams.get('state')!;
    // Without the browser's cookie, the state alone does not complete a session's connect (an API key's would: 302).
    const first = await admin.send('POST', '/api/partners/tiktok/connect');
    expect((await h.callback(`?state=${encodeURIComponent(stateOf(first))}&error=access_denied`)).status).toBe(400);
    const second = await admin.send('POST', '/api/partners/tiktok/connect');
    const binding = Object.fromEntries(second.cookies.map((c) => [c.name, c.value]));
    expect((await h.callback(`?state=${encodeURIComponent(stateOf(second))}&error=access_denied`, binding)).status).toBe(302);
  });

  it('a one-time sign-in link works once, and not after 24 hours', async () => {
    const service = createMemberService({ store: store(), clock: h.clock });
    const { linkToken } = await service.invite(workspaceId, 'once@example.com', 'viewer');
    expect((await post('/api/session/link', { token: linkToken })).statusCode).toBe(200);
    const second = await post('/api/session/link', { token: linkToken });
    expect([second.statusCode, json(second).error.code]).toEqual([401, 'invalid_link']);
    const late = await service.invite(workspaceId, 'late@example.com', 'viewer');
    h.clock.advance(SIGN_IN_LINK_TTL_MS);
    expect((await post('/api/session/link', { token: late.linkToken })).statusCode).toBe(401);
  });

  it('sign-in: a wrong password and an unknown email are the same 401; repeats are 429 for 15 minutes', async () => {
    h.clock.advance(60 * 60_000); // a fresh rate-limit window
    const good = await post('/api/session', { email: 'ADMIN@example.com', password: 'correct horse battery' });
    expect(good.statusCode).toBe(200);
    expect(json(good).member.email).toBe('admin@example.com');
    const unknown = await post('/api/session', { email: 'nobody@example.com', password: 'correct horse battery' });
    expect([unknown.statusCode, json(unknown).error.code]).toEqual([401, 'invalid_credentials']);
    for (let i = 0; i < 4; i++) {
      const wrong = await post('/api/session', { email: 'admin@example.com', password: 'wrong password' });
      expect([wrong.statusCode, json(wrong).error.code]).toEqual([401, 'invalid_credentials']);
    }
    const limited = await post('/api/session', { email: 'admin@example.com', password: 'correct horse battery' });
    expect([limited.statusCode, json(limited).error.code]).toEqual([429, 'rate_limited']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    h.clock.advance(15 * 60_000);
    expect((await post('/api/session', { email: 'admin@example.com', password: 'correct horse battery' })).statusCode).toBe(200);
  });

  it('sessions end after 12 hours idle, and at sign-out', async () => {
    const good = await post('/api/session', { email: 'admin@example.com', password: 'correct horse battery' });
    const b = browserOf(h.app, good);
    h.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await b.send('GET', '/api/session')).statusCode).toBe(200);
    h.clock.advance(SESSION_IDLE_MS);
    expect((await b.send('GET', '/api/session')).statusCode).toBe(401);

    const c = browserOf(h.app, await post('/api/session', { email: 'admin@example.com', password: 'correct horse battery' }));
    expect((await c.send('DELETE', '/api/session', undefined, { csrf: false })).statusCode).toBe(403);
    const out = await c.send('DELETE', '/api/session');
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^cohort_session=;/);
    expect((await c.send('GET', '/api/canvases')).statusCode).toBe(401);
  });

  it('members (admins only): invite gives a one-time link, the invited member sets a password and signs in with it, remove ends its sessions', async () => {
    const a = browserOf(h.app, await post('/api/session', { email: 'admin@example.com', password: 'correct horse battery' }));
    const editor = await signedInMember(h.app, store(), h.clock, workspaceId, 'editor');
    expect((await editor.send('GET', '/api/members')).statusCode).toBe(403);
    expect((await editor.send('POST', '/api/members', { email: 'x@example.com', role: 'admin' })).statusCode).toBe(403);
    const invited = await a.send('POST', '/api/members', { email: 'New@Example.com', role: 'viewer' });
    expect(invited.statusCode).toBe(201);
    expect(json(invited)).toMatchObject({ created: true, member: { email: 'new@example.com', role: 'viewer', has_password: false } });
    const token = (json(invited).sign_in_path as string).match(/^\/signin\/link#([A-Za-z0-9_-]{43})$/)![1];
    const newcomer = browserOf(h.app, await post('/api/session/link', { token }));
    expect((await newcomer.send('PUT', '/api/session/password', { password: 'short' })).statusCode).toBe(400);
    expect((await newcomer.send('PUT', '/api/session/password', { password: 'a new passphrase' })).statusCode).toBe(204);
    // Once set, changing it needs the current one.
    expect((await newcomer.send('PUT', '/api/session/password', { password: 'another passphrase' })).statusCode).toBe(403);
    expect((await post('/api/session', { email: 'new@example.com', password: 'a new passphrase' })).statusCode).toBe(200);
    const list = json(await a.send('GET', '/api/members')).members as { id: string; email: string }[];
    const id = list.find((m) => m.email === 'new@example.com')!.id;
    expect((await a.send('DELETE', `/api/members/${id}`)).statusCode).toBe(204);
    expect((await newcomer.send('GET', '/api/session')).statusCode).toBe(401);
    const adminId = list.find((m) => m.email === 'admin@example.com')!.id;
    const last = await a.send('DELETE', `/api/members/${adminId}`);
    expect([last.statusCode, json(last).error.code]).toEqual([409, 'last_admin']);
    // Another workspace's member is not found from here.
    const other = await h.workspace();
    const stranger = (await createMemberService({ store: store(), clock: h.clock }).invite(other.id, 'stranger@example.com', 'viewer')).member;
    expect((await a.send('DELETE', `/api/members/${stranger.id}`)).statusCode).toBe(404);
    expect(await store().getMember(other.id, stranger.id)).not.toBeNull();
  });
});
