/**
 * Issue 16, finding 4: webhook calls leave the entry batch. A webhook step parks its user and writes
 * the call to the outbox; the webhook sender makes it (timeout, retries as due_at, per-workspace
 * cap) and moves the user on when it ends, whatever its outcome. Crash-safe: a call survives a
 * restart and is made again once its lease runs out; the user moves on once, counts never double.
 * On SQLite and PostgreSQL, over real HTTP.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { HttpRequest } from '../../src/engine/steps/index.ts';
import { createStore } from '../../src/store/index.ts';
import { parseAllowList, type AllowList } from '../../src/webhooks/address-policy.ts';
import { guardedHttp } from '../../src/webhooks/guarded-http.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness, type EngineHarness } from '../support/engine.ts';
import { rawSql } from '../support/raw-db.ts';
import { startReceiver, type Received, type Receiver } from '../support/receivers.ts';

let rx: Receiver;
let flakyLeft = 0;
beforeAll(async () => {
  rx = await startReceiver((r: Received) => {
    if (r.path.startsWith('/hold')) return 'hold';
    if (r.path.startsWith('/missing')) return 404;
    if (r.path.startsWith('/flaky') && flakyLeft > 0) {
      flakyLeft--;
      return 503;
    }
    return 200;
  });
});
/** The transport `cohort serve` wires, opened for the receiver on 127.0.0.1 only: 127.0.0.2 (`blockedUrl`) stays refused. */
const guard = guardedHttp({ allow: (parseAllowList('127.0.0.1/32') as { allow: AllowList }).allow });
afterAll(async () => {
  await guard.close();
  await rx.close();
});
const transport = (req: HttpRequest) => guard.http(req);
/** A loopback address the allow list does not open: refused by the guard before any connection. */
const blockedUrl = () => rx.url.replace('127.0.0.1', '127.0.0.2');

type Step = Record<string, number>;

describeEachStore('webhook outbox', ({ store, url, kind }) => {
  let h: EngineHarness;
  let ws: { id: string; key: string };
  beforeEach(async () => {
    h = await engineHarness(store(), { http: transport });
    ws = await h.workspace();
    rx.seen.length = 0;
  });

  async function launch(hookUrl: string, key = ws.key, extra: Record<string, unknown> = {}): Promise<string> {
    const created = await h.call(key, 'POST', '/api/canvases', {
      name: 'hook', first_step: 'hook',
      steps: [
        { id: 'hook', type: 'webhook', next: 'mark', config: { url: hookUrl, body: { user: '{{external_id}}' }, ...extra } },
        { id: 'mark', type: 'user_update', config: { set: { reached: true } }, next: null },
      ],
    });
    expect((await h.call(key, 'POST', `/api/canvases/${created.body.id}/launch`)).status).toBe(200);
    return created.body.id as string;
  }
  const trigger = async (canvasId: string, ids: string[], key = ws.key) => expect((await h.call(key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: ids.map((id) => ({ external_user_id: id })) })).status).toBe(201);
  const steps = async (canvasId: string, key = ws.key) => Object.fromEntries(((await h.call(key, 'GET', `/api/canvases/${canvasId}/analytics`)).body.steps as (Step & { id: string })[]).map((s) => [s.id, s])) as Record<string, Step>;
  const deliveries = (canvasId: string) => rawSql<{ entry_id: number; ok: number; http_status: number | null; error: string | null; attempts: number }>(kind, url(), 'select entry_id, ok, http_status, error, attempts from webhook_deliveries where canvas_id = ? order by id', [canvasId]);
  const balanced = (s: Record<string, Step>) => {
    for (const x of Object.values(s)) expect(x.entered).toBe(x.proceeded! + x.exited! + x.failed!);
  };

  it('the user waits at the webhook step, not due, until the call ends; then goes on, the delivery recorded with the move', async () => {
    const id = await launch(`${rx.url}/ok/{{external_id}}`);
    await trigger(id, ['w1']);
    expect(await h.worker.runOnce()).toBe(1);
    expect((await steps(id)).hook).toMatchObject({ entered: 1, proceeded: 0 });
    expect((await h.call(ws.key, 'GET', '/api/users/w1')).body.canvas_entries[0]).toMatchObject({ status: 'active', step_id: 'hook' });
    expect(await store().countWebhookCalls(ws.id)).toBe(1);
    expect(rx.seen).toHaveLength(0); // no HTTP inside the batch
    expect(await h.worker.runOnce()).toBe(0); // parked: not due

    expect(await h.webhooks.drain()).toBeGreaterThan(0);
    expect(rx.seen).toEqual([{ method: 'POST', path: '/ok/w1', body: '{"user":"w1"}' }]);
    expect(await store().countWebhookCalls(ws.id)).toBe(0);
    expect((await steps(id)).hook).toMatchObject({ entered: 1, proceeded: 1 });
    expect((await steps(id)).mark).toMatchObject({ entered: 1, exited: 0 });
    await h.worker.drain();
    const s = await steps(id);
    expect(s.mark).toMatchObject({ entered: 1, exited: 1 });
    balanced(s);
    expect(await deliveries(id)).toEqual([expect.objectContaining({ ok: 1, http_status: 200, error: null, attempts: 1 })]);
  });

  it('retries 503 after 0.5 s then 2 s (due_at, not sleeps) and records the success; 404 and a blocked target are final; the user goes on either way', async () => {
    flakyLeft = 2;
    const flaky = await launch(`${rx.url}/flaky`);
    const missing = await launch(`${rx.url}/missing`);
    const blocked = await launch(`${blockedUrl()}/blocked`);
    await trigger(flaky, ['r1']);
    await trigger(missing, ['r2']);
    await trigger(blocked, ['r3']);
    await h.worker.drain();
    expect((await steps(flaky)).hook).toMatchObject({ proceeded: 0 }); // its second attempt is due in 0.5 s
    expect((await steps(missing)).mark).toMatchObject({ exited: 1 });
    expect((await steps(blocked)).mark).toMatchObject({ exited: 1 });
    h.clock.advance(499);
    await h.worker.drain();
    expect(rx.seen.filter((r) => r.path === '/flaky')).toHaveLength(1);
    h.clock.advance(1);
    await h.worker.drain();
    expect(rx.seen.filter((r) => r.path === '/flaky')).toHaveLength(2);
    h.clock.advance(2_000);
    await h.worker.drain();
    expect(rx.seen.filter((r) => r.path === '/flaky')).toHaveLength(3);
    expect((await steps(flaky)).mark).toMatchObject({ entered: 1, exited: 1 });
    expect(await deliveries(flaky)).toEqual([expect.objectContaining({ ok: 1, http_status: 200, error: null, attempts: 3 })]);
    expect(await deliveries(missing)).toEqual([expect.objectContaining({ ok: 0, http_status: 404, error: 'HTTP 404', attempts: 1 })]);
    expect(await deliveries(blocked)).toEqual([expect.objectContaining({ ok: 0, http_status: null, error: 'webhook_blocked', attempts: 1 })]);
    expect(rx.seen.filter((r) => r.path === '/missing')).toHaveLength(1);
    for (const c of [flaky, missing, blocked]) balanced(await steps(c));
  });

  it('a receiver that holds its answer times out (injected 300 ms), is tried 3 times, and the user goes on; so does one that refuses connections', async () => {
    const ht = await engineHarness(store(), { http: transport, webhooks: { timeoutMs: 300 } });
    const slow = await launch(`${rx.url}/hold`);
    const dead = await launch('http://127.0.0.1:9/x');
    await trigger(slow, ['t1']);
    await trigger(dead, ['t2']);
    const started = Date.now();
    await ht.worker.drain();
    ht.clock.advance(500);
    await ht.worker.drain();
    ht.clock.advance(2_000);
    await ht.worker.drain();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await deliveries(slow)).toEqual([expect.objectContaining({ ok: 0, http_status: null, error: 'timed out after 300 ms', attempts: 3 })]);
    expect(await deliveries(dead)).toEqual([expect.objectContaining({ ok: 0, http_status: null, error: 'network error', attempts: 3 })]);
    expect((await steps(slow)).mark).toMatchObject({ entered: 1, exited: 1 });
    expect((await steps(dead)).mark).toMatchObject({ entered: 1, exited: 1 });
  });

  it('at most 8 calls of one workspace in flight; another workspace\'s call goes through meanwhile', async () => {
    const hb = await engineHarness(store(), { http: transport, webhooks: { timeoutMs: 10_000 } });
    const busyCanvas = await launch(`${rx.url}/hold/{{external_id}}`);
    const other = await h.workspace();
    const quick = await launch(`${rx.url}/ok/{{external_id}}`, other.key);
    await trigger(busyCanvas, Array.from({ length: 20 }, (_, i) => `c${i}`));
    await trigger(quick, ['q1'], other.key);
    await hb.worker.runOnce();
    hb.webhooks.start();
    try {
      for (let i = 0; i < 100 && ((await steps(quick, other.key)).hook?.proceeded ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await steps(quick, other.key)).hook).toMatchObject({ entered: 1, proceeded: 1 });
      expect(rx.held()).toBe(8);
      expect((await steps(busyCanvas)).hook).toMatchObject({ entered: 20, proceeded: 0 });
      // Answer them: the next 8 go, then the last 4.
      for (let i = 0; i < 100 && rx.seen.filter((r) => r.path.startsWith('/hold')).length < 20; i++) {
        rx.release();
        await new Promise((r) => setTimeout(r, 20));
      }
      rx.release();
    } finally {
      await hb.webhooks.stop();
    }
    await hb.worker.drain();
    expect(rx.peakHeld()).toBe(8);
    expect((await steps(busyCanvas)).mark).toMatchObject({ entered: 20, exited: 20 });
  });

  it('crash: the call survives a restart, is made again after its lease (at-least-once), and the user moves on once; a late answer to the dead sender changes nothing', async () => {
    const id = await launch(`${rx.url}/ok/{{external_id}}`);
    await trigger(id, ['k1']);
    // The first process parks the user and starts the call; its answer is not back when it dies.
    let answer!: (v: { status: number }) => void;
    const first = await engineHarness(store(), { http: () => new Promise((resolve) => (answer = resolve)) });
    first.clock.set(h.clock.now());
    expect(await first.worker.runOnce()).toBe(1);
    expect(await first.webhooks.runOnce()).toBe(1);

    // A new process on the same database: the call is still there, and once the lease ran out it is made again.
    const reopened = await createStore(url());
    try {
      const second = await engineHarness(reopened, { http: transport });
      second.clock.set(h.clock.now() + 30_000);
      expect(await reopened.countWebhookCalls(ws.id)).toBe(1);
      await second.worker.drain();
      expect(rx.seen).toHaveLength(0); // still leased by the dead process
      second.clock.set(h.clock.now() + 61_000);
      await second.worker.drain();
      expect(rx.seen.map((r) => r.path)).toEqual(['/ok/k1']);
      // The dead process's call answers late: its settle is fenced by the lease it lost.
      answer({ status: 200 });
      await first.webhooks.drain();
      await second.worker.drain();
    } finally {
      await reopened.close();
    }
    const s = await steps(id);
    expect(s.hook).toMatchObject({ entered: 1, proceeded: 1 });
    expect(s.mark).toMatchObject({ entered: 1, exited: 1 });
    balanced(s);
    expect(await deliveries(id)).toHaveLength(1);
    expect((await h.call(ws.key, 'GET', '/api/users/k1')).body.canvas_entries).toEqual([expect.objectContaining({ status: 'exited' })]);
  });

  it('a call whose claims never settle (its process keeps dying) is given up after 5 more claims than attempts, and the user goes on', async () => {
    const id = await launch(`${rx.url}/ok/{{external_id}}`);
    await trigger(id, ['z1']);
    await h.worker.runOnce();
    // Five claims that each died before settling, each after the last one's lease ran out; the sixth gives up.
    for (let i = 0; i < 5; i++) expect(await store().claimDueWebhookCalls({ now: h.clock.now() + i * 61_000, limit: 1, perWorkspace: 8, busy: new Map(), leaseMs: 60_000, leaseId: `dead-${i}` })).toHaveLength(1);
    h.clock.advance(5 * 61_000);
    await h.worker.drain();
    expect(rx.seen).toHaveLength(0);
    expect(await deliveries(id)).toEqual([expect.objectContaining({ ok: 0, error: 'delivery_abandoned', attempts: 1 })]);
    expect((await steps(id)).mark).toMatchObject({ entered: 1, exited: 1 });
  });

  it('a scheduled launch into a webhook step parks everyone and the calls go out', async () => {
    await h.call(ws.key, 'POST', '/api/users/track', { attributes: Array.from({ length: 50 }, (_, i) => ({ external_id: `l${i}` })) });
    const created = await h.call(ws.key, 'POST', '/api/canvases', {
      name: 'launch', entry: { type: 'scheduled', at: null }, first_step: 'hook',
      steps: [{ id: 'hook', type: 'webhook', next: null, config: { url: `${rx.url}/ok/{{external_id}}` } }],
    });
    expect((await h.call(ws.key, 'POST', `/api/canvases/${created.body.id}/launch`)).status).toBe(200);
    await h.worker.drain();
    expect(rx.seen.filter((r) => r.path.startsWith('/ok/l'))).toHaveLength(50);
    expect((await steps(created.body.id)).hook).toMatchObject({ entered: 50, exited: 50 });
    expect(await deliveries(created.body.id)).toHaveLength(50);
  });
});
