/**
 * Issue 16, finding 2 end to end (spec §9), on SQLite and PostgreSQL: an editor aims a webhook step
 * at this machine (the emulator's admin API, say). The launch still goes through but warns; the
 * delivery is refused before connecting and recorded as `webhook_blocked` after one attempt; the
 * user advances as after any failed delivery. COHORT_WEBHOOK_ALLOW_HOSTS opens the receiver.
 */
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/connect.ts';
import type { DB } from '../../src/store/schema.ts';
import type { Resolve } from '../../src/webhooks/guarded-http.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness, type EngineHarness } from '../support/engine.ts';

let receiver: Server;
let port = 0;
const received: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    res.end('reset done');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      receiver.closeAllConnections();
      receiver.close(() => r());
    }),
);

/** The names these canvases use; nothing here asks a real resolver, and no public answer is ever connected to. */
const lookup: Resolve = async (hostname) => {
  const table: Record<string, string[]> = { 'hooks.example.test': ['127.0.0.1'], 'metadata.example.test': ['169.254.169.254'], 'public.example.test': ['93.184.216.34'] };
  const answer = table[hostname];
  if (!answer) throw Object.assign(new Error(`test: no DNS for ${hostname}`), { code: 'ENOTFOUND' });
  return answer.map((address) => ({ address, family: isIP(address) }));
};

describeEachStore('webhook steps never reach closed addresses', ({ store, url }) => {
  let h: EngineHarness;
  let ws: { id: string; key: string };
  let db: Kysely<DB>;
  beforeAll(async () => {
    db = (await openDatabase(url())).db; // a second connection, to read deliveries the port does not expose
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(() => {
    received.length = 0;
  });
  afterEach(async () => {
    await h.close();
  });

  const canvas = (hookUrl: string) => ({
    name: 'Reset the emulator',
    entry: { type: 'api' },
    first_step: 'hook',
    steps: [
      { id: 'hook', type: 'webhook', next: 'mark', config: { url: hookUrl, method: 'POST', body: { user: '{{external_id}}' } } },
      { id: 'mark', type: 'user_update', config: { set: { hooked: true } }, next: null },
    ],
  });
  async function launchAndRun(definition: unknown) {
    const created = await h.call(ws.key, 'POST', '/api/canvases', definition);
    expect(created.status).toBe(201);
    const launched = await h.call(ws.key, 'POST', `/api/canvases/${created.body.id}/launch`);
    expect(launched.status).toBe(200);
    expect((await h.call(ws.key, 'POST', '/api/canvas/trigger/send', { canvas_id: created.body.id, recipients: [{ external_user_id: 'ann' }] })).status).toBe(201);
    await h.worker.drain();
    const analytics = await h.call(ws.key, 'GET', `/api/canvases/${created.body.id}/analytics`);
    const deliveries = await db.selectFrom('webhook_deliveries').select(['step_id', 'ok', 'http_status', 'error', 'attempts']).where('canvas_id', '=', created.body.id).execute();
    return { id: created.body.id as string, launched: launched.body, steps: analytics.body.steps, deliveries };
  }

  it('a webhook to 127.0.0.1: launch warns, the delivery is webhook_blocked after one attempt, the user advances, the receiver gets nothing', async () => {
    h = await engineHarness(store(), { lookup });
    ws = await h.workspace();
    const run = await launchAndRun(canvas(`http://127.0.0.1:${port}/_emulator/reset`));

    const { warnings, ...answer } = run.launched;
    expect(warnings).toEqual([{ step_id: 'hook', code: 'webhook_blocked', message: 'webhook to 127.0.0.1 refused: 127.0.0.1 is a loopback address' }]);
    // Otherwise the launch answers the canvas, exactly as a read of it does.
    expect(answer).toEqual((await h.call(ws.key, 'GET', `/api/canvases/${run.id}`)).body);
    expect(answer.status).toBe('active');

    expect(run.deliveries).toEqual([{ step_id: 'hook', ok: 0, http_status: null, error: 'webhook_blocked', attempts: 1 }]);
    expect(run.steps).toEqual([
      expect.objectContaining({ id: 'hook', entered: 1, proceeded: 1, exited: 0 }),
      expect.objectContaining({ id: 'mark', entered: 1, proceeded: 0, exited: 1 }),
    ]);
    expect((await h.call(ws.key, 'GET', '/api/users/ann')).body.profile.custom).toMatchObject({ hooked: true });
    expect(received).toEqual([]);
  });

  it('the same canvas with COHORT_WEBHOOK_ALLOW_HOSTS=127.0.0.1/32: no warning, and the receiver is called', async () => {
    h = await engineHarness(store(), { lookup, webhookAllowHosts: '127.0.0.1/32' });
    ws = await h.workspace();
    const run = await launchAndRun(canvas(`http://127.0.0.1:${port}/_emulator/reset`));
    expect(run.launched.warnings).toEqual([]);
    expect(run.deliveries).toEqual([{ step_id: 'hook', ok: 1, http_status: 200, error: null, attempts: 1 }]);
    expect(received).toEqual(['POST /_emulator/reset']);
  });

  it('warns for each step whose target is refused: any spelling, or a name resolving there; not for public, unknown or per-user hosts', async () => {
    h = await engineHarness(store(), { lookup, webhookAllowHosts: `hooks.example.test:${port + 1}` });
    ws = await h.workspace();
    const hook = (id: string, next: string | null, hookUrl: string) => ({ id, type: 'webhook', next, config: { url: hookUrl } });
    const created = await h.call(ws.key, 'POST', '/api/canvases', {
      name: 'Many hooks',
      entry: { type: 'api' },
      first_step: 'decimal',
      steps: [
        hook('decimal', 'mapped', `http://2130706433:${port}/`),
        hook('mapped', 'named', `http://[::ffff:127.0.0.1]:${port}/`),
        hook('named', 'metadata', `https://hooks.example.test:${port}/x?token=secret`),
        hook('metadata', 'public', 'http://metadata.example.test/latest/meta-data/'),
        hook('public', 'unknown', 'https://public.example.test/hook'),
        hook('unknown', 'templated', 'https://unknown.example.test/hook'),
        hook('templated', 'opened', 'https://{{tenant}}.example.test/hook'),
        hook('opened', null, `http://hooks.example.test:${port + 1}/`),
      ],
    });
    const launched = await h.call(ws.key, 'POST', `/api/canvases/${created.body.id}/launch`);
    expect(launched.status).toBe(200);
    expect(launched.body.status).toBe('active');
    expect(launched.body.warnings).toEqual([
      { step_id: 'decimal', code: 'webhook_blocked', message: 'webhook to 127.0.0.1 refused: 127.0.0.1 is a loopback address' },
      { step_id: 'mapped', code: 'webhook_blocked', message: 'webhook to ::ffff:7f00:1 refused: ::ffff:7f00:1 is a loopback address' },
      { step_id: 'named', code: 'webhook_blocked', message: 'webhook to hooks.example.test refused: it resolves to 127.0.0.1, a loopback address' },
      { step_id: 'metadata', code: 'webhook_blocked', message: 'webhook to metadata.example.test refused: it resolves to 169.254.169.254, a link-local address' },
    ]);
    expect(received).toEqual([]);
    // Stop and archive answer the canvas alone, as before.
    expect((await h.call(ws.key, 'POST', `/api/canvases/${created.body.id}/stop`)).body).not.toHaveProperty('warnings');
  });
});
