/**
 * `/api/docs` serves swagger-ui's own files (spec §4), through @fastify/static and its dependencies, whose
 * versions must run on Node 20.19 (issue 16 finding 9: content-disposition 3 declares Node ≥ 22; see
 * test/engines.test.ts). Over a real socket, as a browser fetches them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/port.ts';
import { testApi, type TestApi } from '../support/api.ts';
import { freshSqliteFile } from '../support/databases.ts';

describe('api: the browsable docs', () => {
  const db = freshSqliteFile();
  let store: Store;
  let api: TestApi;
  let url: string;
  beforeAll(async () => {
    store = await createStore(db.url);
    api = await testApi(store);
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
    await db.drop();
  });

  it.each([
    ['/api/docs', /^text\/html/],
    ['/api/docs/static/index.html', /^text\/html/],
    ['/api/docs/static/swagger-ui-bundle.js', /^(application|text)\/javascript/],
    ['/api/docs/static/swagger-ui-standalone-preset.js', /^(application|text)\/javascript/],
    ['/api/docs/static/index.css', /^text\/css/],
    ['/api/docs/static/favicon-32x32.png', /^image\/png$/],
    ['/api/docs/json', /^application\/json/],
  ])('serves %s without a key', async (path, type) => {
    const res = await fetch(`${url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(type);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
  });

  it('refuses a path out of its folder', async () => {
    const res = await fetch(`${url}/api/docs/static/..%2f..%2fpackage.json`);
    expect(res.status).not.toBe(200);
  });
});
