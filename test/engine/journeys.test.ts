/**
 * The journey engine end to end over HTTP, on SQLite and PostgreSQL: every step type, every entry
 * type, re-entry, exit rules, versions and lifecycle, with the worker driven on a fake clock.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness, type EngineHarness } from '../support/engine.ts';

const ADV = '7000000000000000001';
let hookServer: Server;
let hookUrl = '';
const hooks: { path: string; body: unknown }[] = [];

beforeAll(async () => {
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', body: body ? JSON.parse(body) : null });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => hookServer.close(() => r())));

const syncStep = (next: string | null) => ({ id: 'sync', type: 'audience_sync', next, config: { partner: 'tiktok', advertiser_id: ADV, audience_id: '7100000000000000001', action: 'add', fields: ['email', 'phone', 'idfa', 'gaid'] } });

describeEachStore('journeys', ({ store, url }) => {
  let h: EngineHarness;
  let ws: { id: string; key: string };
  beforeEach(async () => {
    // The hook receiver listens on 127.0.0.1, which webhooks may reach only when opened (spec §9).
    h = await engineHarness(store(), { webhookAllowHosts: '127.0.0.1/32' });
    ws = await h.workspace();
    hooks.length = 0;
  });
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) => h.call(ws.key, method, path, body);
  async function launchCanvas(canvas: unknown): Promise<string> {
    const created = await call('POST', '/api/canvases', canvas);
    expect(created.status).toBe(201);
    const launched = await call('POST', `/api/canvases/${created.body.id}/launch`);
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    return created.body.id as string;
  }
  const analytics = async (id: string) => {
    const a = await call('GET', `/api/canvases/${id}/analytics`);
    expect(a.status).toBe(200);
    return Object.fromEntries((a.body.steps as { id: string }[]).map((s) => [s.id, s])) as unknown as Record<string, Record<string, number>>;
  };
  const trigger = (canvasId: string, recipients: unknown[]) => call('POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients });

  it('runs every step type: sync → delay → split → webhook → user_update, with exact numbers', async () => {
    const id = await launchCanvas({
      name: 'VIP retarget',
      entry: { type: 'api' },
      first_step: 'sync',
      steps: [
        syncStep('wait'),
        { id: 'wait', type: 'delay', config: { seconds: 3600 }, next: 'split' },
        { id: 'split', type: 'decision_split', config: { filter: { attribute: 'vip', op: 'eq', value: true } }, yes: 'hook', no: null },
        { id: 'hook', type: 'webhook', next: 'mark', config: { url: `${hookUrl}/hook/{{external_id}}`, method: 'POST', body: { user: '{{external_id}}', offer: '{{context.offer}}', plan: '{{plan}}' } } },
        { id: 'mark', type: 'user_update', config: { set: { retargeted: true } }, next: null },
      ],
    });
    const sent = await trigger(id, [
      { external_user_id: 'ann', attributes: { email: 'ann@example.com', vip: true, plan: 'gold' }, context: { offer: 'SPRING' } },
      { external_user_id: 'bob', attributes: { first_name: 'Bob' } },
      { external_user_id: 'cy', attributes: { phone: '+15555550100', vip: false } },
    ]);
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ message: 'success', dispatch_id: expect.any(String) });

    await h.worker.drain();
    let a = await analytics(id);
    expect(a.sync).toMatchObject({ entered: 3, proceeded: 3, exited: 0, synced: 0, pending: 2, not_synced: 1, errored: 0 });
    expect(a.wait).toMatchObject({ entered: 3, proceeded: 0 });
    expect(hooks).toHaveLength(0);

    h.clock.advance(3_599_000);
    await h.worker.drain();
    expect((await analytics(id)).wait).toMatchObject({ entered: 3, proceeded: 0 });

    h.clock.advance(1_000);
    await h.worker.drain();
    a = await analytics(id);
    expect(a.wait).toMatchObject({ entered: 3, proceeded: 3 });
    expect(a.split).toMatchObject({ entered: 3, proceeded: 1, exited: 2 });
    expect(a.hook).toMatchObject({ entered: 1, proceeded: 1 });
    expect(a.mark).toMatchObject({ entered: 1, exited: 1 });
    expect(hooks).toEqual([{ path: '/hook/ann', body: { user: 'ann', offer: 'SPRING', plan: 'gold' } }]);

    const ann = await call('GET', '/api/users/ann');
    expect(ann.body.profile.custom).toMatchObject({ retargeted: true, vip: true });
    expect(ann.body.canvas_entries).toEqual([expect.objectContaining({ canvas_id: id, status: 'exited' })]);
    expect(ann.body.sync_items).toEqual([expect.objectContaining({ canvas_id: id, step_id: 'sync', outcome: 'pending', audience_id: '7100000000000000001' })]);
    expect(JSON.stringify(ann.body)).not.toMatch(/[0-9a-f]{64}/);
    const bob = await call('GET', '/api/users/bob');
    expect(bob.body.sync_items).toEqual([expect.objectContaining({ outcome: 'not_synced', reason: 'missing_fields' })]);

    // At rest: entered = proceeded + exited (+ still waiting) on every step, and the sync identity.
    for (const s of Object.values(a)) expect(s.entered).toBe(s.proceeded! + s.exited!);
    expect(a.sync!.entered).toBe(a.sync!.synced! + a.sync!.not_synced! + a.sync!.pending! + a.sync!.errored!);
  });

  it('event entry: a tracked event enters matching users; the entry audience filters', async () => {
    const id = await launchCanvas({
      name: 'Purchasers', entry: { type: 'event', event: 'purchase' }, audience: { attribute: 'country', op: 'eq', value: 'US' },
      first_step: 'wait', steps: [{ id: 'wait', type: 'delay', config: { seconds: 10 }, next: null }],
    });
    const tracked = await call('POST', '/api/users/track', {
      attributes: [{ external_id: 'us1', country: 'US' }, { external_id: 'fr1', country: 'FR' }],
      events: [{ external_id: 'us1', name: 'purchase' }, { external_id: 'fr1', name: 'purchase' }, { external_id: 'us1', name: 'browse' }],
    });
    expect(tracked.status).toBeLessThan(300);
    expect((await analytics(id)).wait).toMatchObject({ entered: 1 });
  });

  it('scheduled entry at launch: everyone matching the audience enters once, set-based through a launch job', async () => {
    const attributes = Array.from({ length: 2_500 }, (_, i) => ({ external_id: `s${i}`, country: i % 5 === 0 ? 'FR' : 'US' }));
    expect((await call('POST', '/api/users/track', { attributes })).status).toBeLessThan(300);
    const id = await launchCanvas({
      name: 'Everyone in the US', entry: { type: 'scheduled', at: null }, audience: { attribute: 'country', op: 'eq', value: 'US' },
      first_step: 'wait', steps: [{ id: 'wait', type: 'delay', config: { seconds: 60 }, next: null }],
    });
    await h.worker.drain();
    expect((await analytics(id)).wait).toMatchObject({ entered: 2_000, exited: 0 });
    h.clock.advance(60_000);
    await h.worker.drain();
    expect((await analytics(id)).wait).toMatchObject({ entered: 2_000, exited: 2_000 });
  });

  it('scheduled entry at a future time waits for it', async () => {
    await call('POST', '/api/users/track', { attributes: [{ external_id: 'later1' }] });
    const at = new Date(h.clock.now() + 3_600_000).toISOString();
    const id = await launchCanvas({ name: 'Later', entry: { type: 'scheduled', at }, first_step: 'wait', steps: [{ id: 'wait', type: 'delay', config: { seconds: 0 }, next: null }] });
    await h.worker.drain();
    expect((await analytics(id)).wait).toMatchObject({ entered: 0 });
    h.clock.advance(3_600_000);
    await h.worker.drain();
    expect((await analytics(id)).wait).toMatchObject({ entered: 1, exited: 1 });
  });

  it('re-entry: off means once ever; after N seconds means again once the window has passed', async () => {
    const once = await launchCanvas({ name: 'Once', first_step: 'w', steps: [{ id: 'w', type: 'delay', config: { seconds: 0 }, next: null }] });
    await trigger(once, [{ external_user_id: 'r1' }, { external_user_id: 'r1' }]);
    await h.worker.drain();
    await trigger(once, [{ external_user_id: 'r1' }]);
    await h.worker.drain();
    expect((await analytics(once)).w).toMatchObject({ entered: 1, exited: 1 });

    const again = await launchCanvas({ name: 'Again', reentry: { allowed: true, after_seconds: 30 }, first_step: 'w', steps: [{ id: 'w', type: 'delay', config: { seconds: 0 }, next: null }] });
    await trigger(again, [{ external_user_id: 'r2' }]);
    await h.worker.drain();
    h.clock.advance(10_000);
    await trigger(again, [{ external_user_id: 'r2' }]);
    expect((await analytics(again)).w).toMatchObject({ entered: 1 });
    h.clock.advance(20_000);
    await trigger(again, [{ external_user_id: 'r2' }]);
    await h.worker.drain();
    expect((await analytics(again)).w).toMatchObject({ entered: 2, exited: 2 });
  });

  it('exit rule: the user leaves when the current step ends, not before and not further', async () => {
    const id = await launchCanvas({
      name: 'Exit on unsubscribe', exit: { events: ['unsubscribed'] }, first_step: 'wait',
      steps: [{ id: 'wait', type: 'delay', config: { seconds: 100 }, next: 'mark' }, { id: 'mark', type: 'user_update', config: { set: { reached: true } }, next: null }],
    });
    await trigger(id, [{ external_user_id: 'stay' }, { external_user_id: 'leave' }]);
    await h.worker.drain();
    await call('POST', '/api/users/track', { events: [{ external_id: 'leave', name: 'unsubscribed' }] });
    h.clock.advance(50_000);
    await h.worker.drain();
    expect((await analytics(id)).wait).toMatchObject({ entered: 2, exited: 0, proceeded: 0 });
    h.clock.advance(50_000);
    await h.worker.drain();
    const a = await analytics(id);
    expect(a.wait).toMatchObject({ entered: 2, exited: 1, proceeded: 1 });
    expect(a.mark).toMatchObject({ entered: 1 });
    expect((await call('GET', '/api/users/leave')).body.profile.custom).not.toHaveProperty('reached');
  });

  it('lifecycle: a stopped or archived canvas answers 201 with a notice and enters nobody', async () => {
    const id = await launchCanvas({ name: 'Stop me', first_step: 'w', steps: [{ id: 'w', type: 'delay', config: { seconds: 0 }, next: null }] });
    expect((await call('POST', `/api/canvases/${id}/stop`)).status).toBe(200);
    const stopped = await trigger(id, [{ external_user_id: 'x1' }]);
    expect(stopped.status).toBe(201);
    expect(stopped.body.notice).toMatch(/stopped/);
    expect((await call('POST', `/api/canvases/${id}/archive`)).status).toBe(200);
    expect((await trigger(id, [{ external_user_id: 'x1' }])).body.notice).toMatch(/archived/);
    expect((await analytics(id)).w).toMatchObject({ entered: 0 });
  });

  it('versions: users inside keep the version they entered with', async () => {
    const v1 = {
      name: 'Versioned', first_step: 'wait',
      steps: [{ id: 'wait', type: 'delay', config: { seconds: 60 }, next: 'one' }, { id: 'one', type: 'user_update', config: { set: { path: 'v1' } }, next: null }],
    };
    const id = await launchCanvas(v1);
    await trigger(id, [{ external_user_id: 'early' }]);
    await h.worker.drain();
    const edited = await call('PUT', `/api/canvases/${id}`, { ...v1, steps: [{ id: 'wait', type: 'delay', config: { seconds: 60 }, next: 'two' }, { id: 'two', type: 'user_update', config: { set: { path: 'v2' } }, next: null }] });
    expect(edited.status).toBe(200);
    expect(edited.body.version).toBe(2);
    await trigger(id, [{ external_user_id: 'late' }]);
    h.clock.advance(60_000);
    await h.worker.drain();
    expect((await call('GET', '/api/users/early')).body.profile.custom).toMatchObject({ path: 'v1' });
    expect((await call('GET', '/api/users/late')).body.profile.custom).toMatchObject({ path: 'v2' });
  });

  it('trigger: bad input is a 4xx, never a 5xx', async () => {
    const id = await launchCanvas({ name: 'T', first_step: 'w', steps: [{ id: 'w', type: 'delay', config: { seconds: 0 }, next: null }] });
    expect((await trigger(id, Array.from({ length: 10_001 }, (_, i) => ({ external_user_id: `u${i}` })))).status).toBe(413);
    expect((await call('POST', '/api/canvas/trigger/send', '{"canvas_id":')).status).toBe(400);
    expect((await call('POST', '/api/canvas/trigger/send', { canvas_id: id, recipients: [{}] })).status).toBe(400);
    expect((await call('POST', '/api/canvas/trigger/send', { canvas_id: 'cv_nope', recipients: [] })).status).toBe(404);
    expect((await h.call(null, 'POST', '/api/canvas/trigger/send', { canvas_id: id, recipients: [] })).status).toBe(401);
    const other = await h.workspace();
    expect((await h.call(other.key, 'POST', '/api/canvas/trigger/send', { canvas_id: id, recipients: [] })).status).toBe(404);
    expect((await h.call(other.key, 'GET', `/api/canvases/${id}/analytics`)).status).toBe(404);
    // A context 5,000+ deep overflowed JSON.stringify when the entry was written (500; found by test/api/fuzz.test.ts).
    const deep = await call('POST', '/api/canvas/trigger/send', `{"canvas_id":"${id}","recipients":[{"external_user_id":"deep","context":{"c":${'{"a":'.repeat(12_000)}1${'}'.repeat(12_000)}}}]}`);
    expect(deep.status).toBe(400);
    expect(deep.body.error.message).toBe('recipients.0.context.c: must be JSON with finite numbers, at most 32 levels deep');
  });

  it('durable timers: a delay set before a restart fires after it', async () => {
    const id = await launchCanvas({ name: 'Durable', first_step: 'wait', steps: [{ id: 'wait', type: 'delay', config: { seconds: 30 }, next: null }] });
    await trigger(id, [{ external_user_id: 'd1' }, { external_user_id: 'd2' }]);
    await h.worker.drain();
    const reopened = await createStore(url());
    try {
      const h2 = await engineHarness(reopened, { webhookAllowHosts: '127.0.0.1/32' });
      h2.clock.set(h.clock.now() + 30_000);
      await h2.worker.drain();
      const a = await h2.call(ws.key, 'GET', `/api/canvases/${id}/analytics`);
      expect(a.body.steps[0]).toMatchObject({ entered: 2, exited: 2 });
    } finally {
      await reopened.close();
    }
  });
});
