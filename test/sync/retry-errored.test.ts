/**
 * `POST /api/canvases/{id}/steps/{step}/retry-errored` (spec §4) through the API, with the sender
 * against the emulator over real HTTP, on SQLite and PostgreSQL: errored users go back to pending
 * with a fresh retry window and reach TikTok; another workspace's key changes nothing.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createTikTokClient, type TikTokClient } from '../../src/partners/tiktok/client.ts';
import { sha256Hex } from '../../src/partners/tiktok/identifiers.ts';
import { defaultRetryPolicy } from '../../src/sync/retry.ts';
import { createSender, type Sender } from '../../src/sync/sender.ts';
import { describeEachStore } from '../support/databases.ts';
import { expectBalanced, syncScene, type SyncScene } from '../support/sync.ts';
import { emulatorAdmin, SEED } from '../support/tiktok.ts';

const HOUR = 3_600_000;
const windowMs = 13 * HOUR;
let emulator: RunningEmulator;
let client: TikTokClient;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 10_000 });
});
afterAll(() => emulator.close());

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describeEachStore('api: retry-errored', ({ store }) => {
  let s: SyncScene;
  let sender: Sender;
  let wakes: number;
  const retry = (canvasId: string, step = 'sync', key = s.ws.key) => s.h.call(key, 'POST', `/api/canvases/${canvasId}/steps/${step}/retry-errored`);
  const errors = async (canvasId: string) => (await s.h.call(s.ws.key, 'GET', `/api/canvases/${canvasId}/analytics`)).body.steps[0].errors as { reason: string; count: number }[];

  beforeEach(async () => {
    wakes = 0;
    s = await syncScene(store(), emulator, client, { wakeSync: () => void (wakes += 1) });
    sender = createSender({ store: store(), clock: s.h.clock, client, tokens: s.tokens, policy: defaultRetryPolicy(windowMs), fillMs: 0, random: () => 0.5 });
  });

  /** A canvas whose 8 users TikTok rejected (40002): errored, `tiktok_rejected: invalid_parameter`. */
  async function rejectedRun(): Promise<string> {
    const canvasId = await s.launch('add');
    await s.enter(canvasId, range(8));
    await emulatorAdmin(emulator.url, '/faults', { fail_next: { count: 1, code: 40002 } });
    await sender.drain();
    expect(await s.step(canvasId)).toMatchObject({ entered: 8, errored: 8, pending: 0, synced: 0 });
    expect(await errors(canvasId)).toEqual([{ reason: 'tiktok_rejected: invalid_parameter', count: 8 }]);
    return canvasId;
  }

  it('after TikTok rejected a run: requeued with a fresh window, sent, and counted synced with errored 0', async () => {
    const canvasId = await rejectedRun();
    s.h.clock.advance(12 * HOUR); // most of the first window spent
    // An empty JSON body, as many clients send with a POST.
    expect(await s.h.call(s.ws.key, 'POST', `/api/canvases/${canvasId}/steps/sync/retry-errored`, '')).toEqual({ status: 200, body: { canvas_id: canvasId, step_id: 'sync', requeued: 8 } });
    expect(wakes).toBe(1);
    expect(await s.step(canvasId)).toMatchObject({ entered: 8, errored: 0, pending: 8 });
    expect(await errors(canvasId)).toEqual([]);
    // TikTok down for two hours: past the first window, inside the fresh one, so nothing errors.
    await emulatorAdmin(emulator.url, '/faults', { error_rate: 1 });
    await sender.drain();
    s.h.clock.advance(2 * HOUR);
    expect(await sender.expireOnce()).toBe(0);
    await emulatorAdmin(emulator.url, '/faults', {});
    await sender.drain();
    expect(new Set(await s.emails())).toEqual(new Set(range(8).map((i) => sha256Hex(`u${i}@example.com`))));
    expect(await s.step(canvasId)).toMatchObject({ entered: 8, synced: 8, errored: 0, pending: 0 });
    expectBalanced(await s.step(canvasId));
    // Nothing errored is left: a second call requeues none and wakes nobody.
    expect((await retry(canvasId)).body).toEqual({ canvas_id: canvasId, step_id: 'sync', requeued: 0 });
    expect(wakes).toBe(1);
  });

  it("another workspace's key: 404, and the errored users stay errored", async () => {
    const canvasId = await rejectedRun();
    const other = await s.h.workspace();
    const answer = await retry(canvasId, 'sync', other.key);
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
    expect(wakes).toBe(0);
    expect(await s.step(canvasId)).toMatchObject({ errored: 8, pending: 0 });
    await sender.drain();
    expect(await s.emails()).toEqual([]);
  });

  it('404 for an unknown canvas or step, 400 for a step that is not audience_sync', async () => {
    const canvasId = await s.launch('add');
    expect((await retry('cv_nope')).status).toBe(404);
    expect((await retry(canvasId, 'nope')).status).toBe(404);
    const draft = await s.h.call(s.ws.key, 'POST', '/api/canvases', { name: 'wait', first_step: 'wait', steps: [{ id: 'wait', type: 'delay', next: null, config: { seconds: 60 } }] });
    const answer = await retry(draft.body.id, 'wait');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('not_audience_sync');
    expect(wakes).toBe(0);
  });

  it('an audience deleted on TikTok: its users are requeued too, and error again while it is gone', async () => {
    const canvasId = await s.launch('add');
    await s.enter(canvasId, range(6));
    await emulatorAdmin(emulator.url, `/audiences/${s.audienceId}/delete`, {});
    await sender.drain();
    expect(await errors(canvasId)).toEqual([{ reason: 'audience_not_found', count: 6 }]);
    expect((await retry(canvasId)).body.requeued).toBe(6);
    await sender.drain();
    expect(await s.step(canvasId)).toMatchObject({ entered: 6, errored: 6, pending: 0 });
    expect(await errors(canvasId)).toEqual([{ reason: 'audience_not_found', count: 6 }]);
    expectBalanced(await s.step(canvasId));
  });

  it('the OpenAPI document describes the route', async () => {
    const doc = (await s.h.call(null, 'GET', '/api/openapi.json')).body;
    const post = doc.paths['/api/canvases/{id}/steps/{step}/retry-errored'].post;
    expect(post.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['id', 'step']);
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '401', '404']);
    expect(post.responses['200'].content['application/json'].schema.required).toEqual(['canvas_id', 'step_id', 'requeued']);
  });
});
