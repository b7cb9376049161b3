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

  beforeAll(async () => {
    file = freshSqliteFile();
    store = await createStore(file.url);
    h = await partnerHarness(store);
    // A workspace with data in it, so that a bypass would have something to read and to change.
    const ws = await h.workspace();
    await h.call(ws.key, 'POST', '/api/users/track', { attributes: [{ external_id: 'u1', email: 'ann@example.com' }] });
    await h.call(ws.key, 'POST', '/api/canvases', { name: 'c', entry: { type: 'api' }, audience: null, first_step: null, steps: [] });
    const doc = (await h.call(null, 'GET', '/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
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
    for (const { method, path } of routes.filter((r) => r.path.startsWith('/api/') && !isPublicApiPath(r.path))) {
      for (const url of evasions(concrete(path))) {
        const res = await h.app.inject({ method: method as 'GET', url, headers: method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: body }) });
        // 401 (a route matched and refused) or 404 (no route); 400 for a URL the server will not read.
        if (![400, 401, 404].includes(res.statusCode)) leaks.push(`${method} ${url} → ${res.statusCode} ${res.body.slice(0, 120)}`);
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

  it('an unknown path answers 404 or 401 with no data, with or without a key', async () => {
    for (const url of ['/nope', '/api/nope', '/%61pi/nope', '/api/canvases/x/y/z']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect([401, 404], url).toContain(res.statusCode);
    }
  });
});

const isPublicApiPath = (path: string): boolean => path === '/api/openapi.json' || path.startsWith('/api/docs');
const sqlitePathOf = (url: string): string => url.replace(/^sqlite:\/\//, '');
