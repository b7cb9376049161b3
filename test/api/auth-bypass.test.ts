/**
 * Spec §9, first bullet (issue #16 finding 1): authentication is decided on the route as matched,
 * never on the URL text. Replays the percent-encoding bypass and its cousins against every route of
 * the OpenAPI document, without credentials, and checks that nothing was answered with data and
 * nothing was written (every table's row count is the same before and after).
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/port.ts';
import { freshSqliteFile } from '../support/databases.ts';
import { partnerHarness, type PartnerHarness } from '../support/partners.ts';
import { signedInMember } from '../support/sessions.ts';

/** Every way of spelling `/api/…` that a router may read as the route while a text test does not. */
function evasions(path: string): string[] {
  const rest = path.slice('/api'.length); // "/canvases/x"
  const second = rest.replace(/^\/([^/]+)/, (_m, seg: string) => `/${[...seg].map((c, i) => (i === 0 ? `%${c.charCodeAt(0).toString(16)}` : c)).join('')}`);
  return [
    path,
    `/%61pi${rest}`,
    `/%41PI${rest}`,
    `/a%70i${rest}`,
    `/API${rest}`,
    `//api${rest}`,
    `///api${rest}`,
    `/api/.${rest}`,
    `/api/%2e${rest}`,
    `/api/%2E${rest}`,
    `/x/../api${rest}`,
    `/x/%2e%2e/api${rest}`,
    `/api;x${rest}`,
    `/api${rest};x`,
    `/api${second}`,
    `/api${rest.replaceAll('/', '%2F')}`,
    `/api${rest}/`,
    `/api${rest}?x=1`,
    `/api${rest}#frag`,
    `/api\\${rest.slice(1)}`,
    `/%2561pi${rest}`,
  ];
}

/** A concrete path for an OpenAPI path template: every {param} filled with a plausible id. */
const concrete = (template: string): string => template.replace(/\{[^}]+\}/g, 'cv_0123456789abcdef');

function rowCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`).all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

describe('api: authentication on the matched route (spec §9)', () => {
  let file: { url: string; drop: () => Promise<void> };
  let store: Store;
  let h: PartnerHarness;
  let routes: { method: string; path: string }[];
  let doc: { paths: Record<string, Record<string, { security?: unknown[]; 'x-cohort-role'?: string }>> };

  beforeAll(async () => {
    file = freshSqliteFile();
    store = await createStore(file.url);
    h = await partnerHarness(store);
    // A workspace with data in it, so that a bypass would have something to read and to change.
    const ws = await h.workspace();
    await h.call(ws.key, 'POST', '/api/users/track', { attributes: [{ external_id: 'u1', email: 'ann@example.com' }] });
    await h.call(ws.key, 'POST', '/api/canvases', { name: 'c', entry: { type: 'api' }, audience: null, first_step: null, steps: [] });
    doc = (await h.call(null, 'GET', '/api/openapi.json')).body as typeof doc;
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
  });
  afterAll(async () => {
    await h?.close();
    await store?.close();
    await file?.drop();
  });

  it('the OpenAPI document lists the API routes this test walks', () => {
    const paths = routes.map((r) => `${r.method} ${r.path}`);
    for (const must of ['GET /api/canvases', 'POST /api/canvases', 'PUT /api/canvases/{id}', 'DELETE /api/canvases/{id}', 'POST /api/users/track', 'GET /api/users/{external_id}', 'POST /api/partners/tiktok/connect', 'DELETE /api/partners/tiktok']) {
      expect(paths).toContain(must);
    }
  });

  it('no spelling of any /api route answers without credentials, and nothing is written', async () => {
    const before = rowCounts(sqlitePathOf(file.url));
    const leaks: string[] = [];
    const body = JSON.stringify({ name: 'pwned', entry: { type: 'api' }, audience: null, first_step: null, steps: [], attributes: [{ external_id: 'evil' }], advertiser_ids: [] });
    for (const { method, path } of routes.filter((r) => r.path.startsWith('/api/') && !isPublicRoute(r.method, r.path))) {
      for (const url of evasions(concrete(path))) {
        const res = await h.app.inject({ method: method as 'GET', url, headers: method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: body }) });
        // 401 (a route matched and refused) or 404 (no route); 400 for a URL the server will not read.
        if (![400, 401, 404].includes(res.statusCode)) leaks.push(`${method} ${url} → ${res.statusCode} ${res.body.slice(0, 120)}`);
        // A forged session cookie (and a forged CSRF header) is no credential either.
        const forged = await h.app.inject({ method: method as 'GET', url, cookies: { cohort_session: 'forged-0123456789abcdefghijklmnopqrstuvwxyzABCDEF' }, headers: { 'x-csrf-token': 'forged', ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) }, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: body }) });
        if (![400, 401, 404].includes(forged.statusCode)) leaks.push(`${method} ${url} (forged cookie) → ${forged.statusCode} ${forged.body.slice(0, 120)}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(rowCounts(sqlitePathOf(file.url))).toEqual(before);
  });

  it('the same spellings with a valid key reach the route only when the router reads them as it', async () => {
    const ws = await h.workspace();
    const ok = await h.app.inject({ method: 'GET', url: '/api/canvases', headers: { authorization: `Bearer ${ws.key}` } });
    expect(ok.statusCode).toBe(200);
    // The spelling that used to skip authentication reaches the route, and with a key it works: the
    // route is the same, so the decision is the same.
    const encoded = await h.app.inject({ method: 'GET', url: '/%61pi/canvases', headers: { authorization: `Bearer ${ws.key}` } });
    expect([200, 404]).toContain(encoded.statusCode);
    const noKey = await h.app.inject({ method: 'GET', url: '/%61pi/canvases' });
    expect(noKey.statusCode).toBe(401);
  });

  it('public routes stay public: health, readiness, the OpenAPI document, docs, the OAuth callback', async () => {
    for (const url of ['/healthz', '/readyz', '/api/openapi.json', '/api/docs/']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeLessThan(400);
    }
    // The callback needs no key: the state names the workspace (an unknown state is a 400 page).
    expect((await h.app.inject({ method: 'GET', url: '/oauth/tiktok/callback?state=nope&auth_code=x' })).statusCode).toBe(400);
  });

  it('every route that is not public declares the member role a session needs (none: sessions are refused)', () => {
    const undeclared = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => !isPublicRoute(method.toUpperCase(), path) && !(Array.isArray(op.security) && op.security.length === 0) && !['viewer', 'editor', 'admin'].includes(op['x-cohort-role'] ?? ''))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(undeclared).toEqual([]);
    expect(doc.paths['/api/partners/tiktok']!.delete!['x-cohort-role']).toBe('admin');
    expect(doc.paths['/api/canvases']!.get!['x-cohort-role']).toBe('viewer');
  });

  it("a session of another workspace reaches nothing of this one on any route, and changes none of its rows", async () => {
    // Workspace B (the victim) has a user and a canvas; the attacker is an admin of workspace A.
    const victim = await h.workspace();
    await h.call(victim.key, 'POST', '/api/users/track', { attributes: [{ external_id: 'victim-user', email: 'vic@example.com' }] });
    const canvasId = (await h.call(victim.key, 'POST', '/api/canvases', { name: 'victim', entry: { type: 'api' }, audience: null, first_step: null, steps: [] })).body.id as string;
    const attacker = await h.workspace();
    const session = await signedInMember(h.app, store, h.clock, attacker.id, 'admin');
    const before = victimRows(sqlitePathOf(file.url), victim.id);
    const reached: string[] = [];
    const body = { name: 'pwned', entry: { type: 'api' }, audience: null, first_step: null, steps: [], canvas_id: canvasId, recipients: [{ external_user_id: 'victim-user' }], attributes: [{ external_id: 'attacker-user', email: 'evil@example.com' }], advertiser_ids: [] };
    // (The session routes are the session's own; DELETE /api/session would end it mid-walk.)
    for (const { method, path } of routes.filter((r) => r.path.startsWith('/api/') && !isPublicRoute(r.method, r.path) && r.path !== '/api/session')) {
      const url = path.replace('{id}', canvasId).replace('{external_id}', 'victim-user').replace(/\{[^}]+\}/g, 's1');
      const res = await session.send(method as 'GET', url, method === 'GET' || method === 'DELETE' ? undefined : body);
      // A route naming the victim's canvas or user must not find it; every other route acts on the attacker's own workspace.
      // The walk must reach the routes as the signed-in admin: no 401 or 403 on the way.
      if (res.statusCode === 401 || res.statusCode === 403) reached.push(`${method} ${url} refused the session itself: ${res.statusCode}`);
      if (path.includes('{') && res.statusCode < 300) reached.push(`${method} ${url} → ${res.statusCode} ${res.body.slice(0, 120)}`);
      if (res.statusCode < 300 && res.body.includes(canvasId)) reached.push(`${method} ${url} answered the victim's canvas id`);
    }
    expect(reached).toEqual([]);
    expect(victimRows(sqlitePathOf(file.url), victim.id)).toEqual(before);
  });

  it('an unknown path answers 404 or 401 with no data, with or without a key', async () => {
    for (const url of ['/nope', '/api/nope', '/%61pi/nope', '/api/canvases/x/y/z']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect([401, 404], url).toContain(res.statusCode);
    }
  });
});

/** Public: the document, the docs, and what signs in (there is no session yet). */
const isPublicApiPath = (path: string): boolean => path === '/api/openapi.json' || path.startsWith('/api/docs') || path === '/api/setup' || path === '/api/session/link';
const isPublicRoute = (method: string, path: string): boolean => isPublicApiPath(path) || (method === 'POST' && path === '/api/session');
/** Every row of every table that has a workspace_id, for one workspace. */
function victimRows(file: string, workspaceId: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`).all() as { name: string }[];
    const scoped = tables.filter(({ name }) => (db.prepare(`select name from pragma_table_info(?)`).all(name) as { name: string }[]).some((c) => c.name === 'workspace_id'));
    return Object.fromEntries(scoped.map(({ name }) => [name, db.prepare(`select * from "${name}" where workspace_id = ? order by rowid`).all(workspaceId)]));
  } finally {
    db.close();
  }
}
const sqlitePathOf = (url: string): string => url.replace(/^sqlite:\/\//, '');
