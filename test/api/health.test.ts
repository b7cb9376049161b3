/**
 * Public routes of spec §4 and §9: /healthz, /readyz (database, migrations, workers) and /metrics,
 * which names no workspace or audience unless the scraper holds COHORT_METRICS_TOKEN. Also the
 * request log: it shows the route pattern, never the URL with its external ids.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/app.ts';
import { storeCanvasReader } from '../../src/engine/canvas-reader.ts';
import { engineHooks } from '../../src/engine/events.ts';
import { createWorker, type Worker } from '../../src/engine/worker.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/port.ts';
import { createSyncMetrics } from '../../src/sync/metrics.ts';
import { freshSqliteFile } from '../support/databases.ts';
import { createTestWorkspace, testApi, type TestApi } from '../support/api.ts';
import { CONNECTED } from '../support/engine.ts';

const TOKEN = 'metrics-token-0123456789';
const AUDIENCE = '7100000000000000042';

describe('api: health, readiness and metrics', () => {
  let file: { url: string; drop: () => Promise<void> };
  let store: Store;
  let api: TestApi;
  let worker: Worker;
  let workerHealth = 'ok';
  const logs: string[] = [];
  let ws: { id: string; key: string };

  beforeAll(async () => {
    file = freshSqliteFile();
    store = await createStore(file.url);
    const canvases = storeCanvasReader(store);
    const metrics = createSyncMetrics(store);
    api = await testApi(store, {
      engine: engineHooks(),
      journeys: { canvases, wake: () => {} },
      tiktokLaunchContext: async () => CONNECTED,
      metrics: { contentType: metrics.registry.contentType, text: (w) => metrics.text(w), token: TOKEN },
      readiness: () => ({ journey_worker: workerHealth }),
    });
    worker = createWorker({ store, canvases, clock: api.clock });
    ws = await api.workspace();
    // Three users pending in one audience: the labelled queue depth has something to show.
    const created = await api.call(ws.key, 'POST', '/api/canvases', {
      name: 'm',
      entry: { type: 'api' },
      first_step: 'sync',
      steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: CONNECTED.advertiserIds[0], audience_id: AUDIENCE, action: 'add', fields: ['email'] } }],
    });
    expect((await api.call(ws.key, 'POST', `/api/canvases/${created.body.id}/launch`)).status).toBe(200);
    const recipients = [1, 2, 3].map((i) => ({ external_user_id: `secret-user-${i}`, attributes: { email: `u${i}@example.com` } }));
    expect((await api.call(ws.key, 'POST', '/api/canvas/trigger/send', { canvas_id: created.body.id, recipients })).status).toBe(201);
    await worker.drain();
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
    await file?.drop();
  });

  it('/healthz answers without credentials', async () => {
    expect(await api.call(null, 'GET', '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('/readyz is 200 with every check ok, and 503 naming the check that is not', async () => {
    workerHealth = 'ok';
    expect(await api.call(null, 'GET', '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', journey_worker: 'ok' } } });
    workerHealth = 'failing: database is locked';
    expect(await api.call(null, 'GET', '/readyz')).toEqual({ status: 503, body: { status: 'not_ready', checks: { database: 'ok', migrations: 'ok', journey_worker: 'failing: database is locked' } } });
    workerHealth = 'ok';
  });

  it('/readyz is 503 when the database is gone', async () => {
    const other = freshSqliteFile();
    const closed = await createStore(other.url);
    const app = await buildApi({ deps: { store: closed, clock: api.clock, engine: engineHooks(), journeys: { canvases: storeCanvasReader(closed), wake: () => {} }, tiktokLaunchContext: async () => CONNECTED } });
    await closed.close();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.database).toMatch(/^unreachable/);
    await app.close();
    await other.drop();
  });

  it('/metrics without the token carries no workspace or audience id, but the totals', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^cohort_sync_pending_items 3$/m);
    expect(res.body).not.toContain(ws.id);
    expect(res.body).not.toContain(AUDIENCE);
    expect(res.body).not.toMatch(/workspace_id|audience_id/);
    // A wrong token is the same as none.
    const wrong = await api.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.body).not.toContain(ws.id);
    // A workspace API key is not the metrics token either.
    const apiKey = await api.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ws.key}` } });
    expect(apiKey.body).not.toContain(ws.id);
  });

  it('/metrics with the token adds the queue depth per workspace and audience', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`cohort_sync_queue_depth{workspace_id="${ws.id}",audience_id="${AUDIENCE}"} 3`);
    expect(res.body).toMatch(/^cohort_sync_pending_items 3$/m);
  });

  it('the request log shows the route pattern, never the URL with its external id or OAuth values', async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    const app = await buildApi({
      deps: { store, clock: api.clock, engine: engineHooks(), journeys: { canvases: storeCanvasReader(store), wake: () => {} }, tiktokLaunchContext: async () => CONNECTED },
      logger: { level: 'info', stream: sink },
    });
    const other = await createTestWorkspace(store, api.clock.now());
    await app.inject({ method: 'GET', url: '/api/users/secret-user-1?email=ann%40example.com', headers: { authorization: `Bearer ${other.key}` } });
    await app.inject({ method: 'GET', url: '/nowhere/secret-user-2' });
    await app.close();
    const text = logs.join('');
    expect(text).toContain('"route":"/api/users/:external_id"');
    expect(text).toContain('"route":"(no route)"');
    expect(text).not.toContain('secret-user');
    expect(text).not.toContain('ann%40example.com');
    expect(text).not.toContain(other.key);
  });
});
