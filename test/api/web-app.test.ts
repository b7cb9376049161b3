/**
 * The dashboard's shell and assets (spec §8, routes/web-app.ts): every app route answers the built
 * index.html under a strict CSP, the hashed assets are cached for good, nothing outside the bundle's
 * folder is reachable, and a copy without the bundle says how to build it. Over a real socket, since a
 * browser's URL reaches the server as raw bytes (`..` segments included) that fetch would normalise.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPA_CSP } from '../../src/api/routes/web-app.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/port.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { freshSqliteFile } from '../support/databases.ts';

const INDEX = '<!doctype html><html lang="en"><head><title>Cohort</title><script type="module" src="/assets/app-abc.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("the app");';
/** In files next to and above the bundle: no request may ever answer it. */
const SECRET = 'secret-outside-the-bundle-7f3a';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** GET with the path sent byte for byte (fetch would resolve `..` before sending). */
function rawGet(base: string, path: string): Promise<Raw> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (s: string) => (text += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SPA_PATHS = ['/', '/setup', '/signin', '/signin/link', '/canvases', '/canvases/cv_123', '/canvases/x/analytics', '/partners/tiktok', '/partners/tiktok?connected=1', '/users', '/users/some%20id', '/users/a%2Fb%3F%23%20%C3%A9', '/settings/members', '/settings/api-keys', '/canvases/'];

describe('api: the built dashboard', () => {
  const db = freshSqliteFile();
  let root: string;
  let webDir: string;
  let store: Store;
  let api: TestApi;
  let url: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'cohort-web-'));
    webDir = join(root, 'dist');
    mkdirSync(join(webDir, 'assets'), { recursive: true });
    writeFileSync(join(webDir, 'index.html'), INDEX);
    writeFileSync(join(webDir, 'assets', 'app-abc.js'), SCRIPT);
    writeFileSync(join(webDir, 'assets', 'app-abc.css'), 'body{margin:0}');
    writeFileSync(join(webDir, 'assets', '.env'), SECRET);
    writeFileSync(join(webDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(webDir, 'package.json'), SECRET);
    writeFileSync(join(root, 'package.json'), SECRET);
    store = await createStore(db.url);
    api = await testApi(store, {}, { webDir });
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it.each(SPA_PATHS)('answers %s with the app, without credentials, under a strict CSP', async (path) => {
    const res = await rawGet(url, path);
    expect(res.status).toBe(200);
    expect(res.text).toBe(INDEX);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(SPA_CSP);
    expect(res.headers['content-security-policy']).toContain("script-src 'self';");
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('same-origin');
  });

  it('serves the index it read at start, not one written since', async () => {
    writeFileSync(join(webDir, 'index.html'), '<p>a later build</p>');
    try {
      expect((await rawGet(url, '/canvases')).text).toBe(INDEX);
    } finally {
      writeFileSync(join(webDir, 'index.html'), INDEX);
    }
  });

  it('serves the hashed assets with their type, cached for a year, and the favicon revalidated', async () => {
    const js = await rawGet(url, '/assets/app-abc.js');
    expect(js.status).toBe(200);
    expect(js.text).toBe(SCRIPT);
    expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    const css = await rawGet(url, '/assets/app-abc.css');
    expect([css.status, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    const icon = await rawGet(url, '/favicon.svg');
    expect([icon.status, icon.headers['content-type']]).toEqual([200, 'image/svg+xml']);
    expect(icon.headers['cache-control']).not.toContain('immutable');
  });

  it.each([
    '/assets/../package.json',
    '/assets/../../package.json',
    '/assets/%2e%2e/package.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/..%2fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/assets/..%5c..%5cpackage.json',
    '/assets/.env',
    '/assets/%2eenv',
    '/assets/',
    '/assets',
    '/index.html',
    '/package.json',
  ])('never answers a file outside the assets: %s', async (path) => {
    const res = await rawGet(url, path);
    expect([400, 403, 404], `${path} → ${res.status}`).toContain(res.status);
    expect(res.text).not.toContain(SECRET);
  });

  it('an unknown asset, page or API path is the JSON 404 it always was', async () => {
    for (const path of ['/assets/nope.js', '/nope', '/canvases/x/y/z', '/api/nope']) {
      const res = await rawGet(url, path);
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
      expect(JSON.parse(res.text), path).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('keeps the API private: no app route is in the OpenAPI document, and an API route still needs a key', async () => {
    const doc = (await api.call(null, 'GET', '/api/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/') && !['/healthz', '/readyz', '/metrics', '/oauth/tiktok/callback'].includes(p))).toEqual([]);
    expect((await rawGet(url, '/api/canvases')).status).toBe(401);
  });
});

describe('api: a copy without the built dashboard', () => {
  const db = freshSqliteFile();
  let store: Store;
  let api: TestApi;
  let missing: TestApi;
  let emptyDir: string;
  beforeAll(async () => {
    store = await createStore(db.url);
    api = await testApi(store);
    // A webDir that exists but holds no build (a clone where `npm run build:web` never ran).
    emptyDir = mkdtempSync(join(tmpdir(), 'cohort-web-empty-'));
    missing = await testApi(store, {}, { webDir: emptyDir });
  });
  afterAll(async () => {
    await api?.close();
    await missing?.close();
    await store?.close();
    await db.drop();
    rmSync(emptyDir, { recursive: true, force: true });
  });

  it.each(['/', '/canvases', '/canvases/cv_1/analytics', '/settings/members'])('%s says Cohort runs, that the dashboard is not built and how to build it', async (path) => {
    for (const app of [api, missing]) {
      const res = await app.app.inject({ method: 'GET', url: path });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.body).toContain('<h1>Cohort is running</h1>');
      expect(res.body).toContain('The dashboard is not built in this copy of Cohort');
      expect(res.body).toContain('<code>npm run build:web</code>');
      for (const link of ['/api/docs', '/healthz', '/readyz']) expect(res.body).toContain(`<a href="${link}">`);
      expect(res.body).not.toContain('<script');
    }
  });

  it('/partners/tiktok is still the server-rendered partner page', async () => {
    const connected = await api.app.inject({ method: 'GET', url: '/partners/tiktok?connected=1' });
    expect(connected.statusCode).toBe(200);
    expect(connected.body).toContain('<p class="ok">Connected. TikTok is linked to this workspace.</p>');
    const refused = await api.app.inject({ method: 'GET', url: '/partners/tiktok?error=access_denied' });
    expect(refused.body).toContain('the consent was cancelled on TikTok');
  });

  it('serves no assets, and unknown paths stay JSON 404s', async () => {
    for (const path of ['/assets/app-abc.js', '/favicon.svg', '/nope', '/api/nope']) {
      const res = await api.app.inject({ method: 'GET', url: path });
      expect(res.statusCode, path).toBe(404);
      expect(res.json(), path).toMatchObject({ error: { code: 'not_found' } });
    }
  });
});
