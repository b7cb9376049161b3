/**
 * Issue 16, finding 4, as it was seen: a receiver that answered after 60 s held another workspace's
 * sync for 61.6 s. Here the worker, the webhook sender and the TikTok sender run as `serve` runs them
 * (their own loops, the real 10 s webhook timeout) against the emulator: while one workspace's call
 * is held, another workspace's users go through the worker and reach TikTok.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createTikTokClient, type TikTokClient } from '../../src/partners/tiktok/client.ts';
import { sha256Hex } from '../../src/partners/tiktok/identifiers.ts';
import { defaultRetryPolicy } from '../../src/sync/retry.ts';
import { createSender, type TokenSource } from '../../src/sync/sender.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness } from '../support/engine.ts';
import { startReceiver, type Receiver } from '../support/receivers.ts';
import { consent, emulatorAdmin, SEED, type EmulatorMembers } from '../support/tiktok.ts';

const ADV = SEED.advertisers[0];
let emulator: RunningEmulator;
let client: TikTokClient;
let rx: Receiver;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 10_000 });
  rx = await startReceiver(() => 'hold', 60_000);
});
afterAll(async () => {
  await rx.close();
  await emulator.close();
});

async function tokenSource(): Promise<TokenSource & { token: string }> {
  const back = await consent(emulator.url, { state: 's', redirectUri: 'http://127.0.0.1:1/cb' });
  const r = await client.exchangeAuthCode(back.searchParams.get('auth_code')!);
  if (!r.ok) throw new Error(r.failure.message);
  const token = r.data.accessToken;
  return { token, accessToken: async () => ({ token, status: 'connected' as const }), markTokenInvalid: async () => undefined };
}

const until = async (what: () => Promise<boolean>, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await what()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describeEachStore('a slow webhook delays nobody else', ({ store }) => {
  it("while a call to a receiver that answers after 60 s is in flight, another workspace's users are synced to TikTok", { timeout: 30_000 }, async () => {
    await emulatorAdmin(emulator.url, '/reset', {});
    rx.seen.length = 0;
    const h = await engineHarness(store(), { webhookAllowHosts: '127.0.0.1/32' }); // the webhook sender's real 10 s timeout; the receiver is on 127.0.0.1
    const tokens = await tokenSource();
    const audience = await client.createAudience(tokens.token, ADV, 'Isolation');
    if (!audience.ok) throw new Error(audience.failure.message);
    const sync = createSender({ store: store(), clock: h.clock, client, tokens, policy: defaultRetryPolicy(13 * 3_600_000), fillMs: 0, idleMs: 20 });
    const a = await h.workspace();
    const b = await h.workspace();
    const launch = async (key: string, canvas: unknown) => {
      const c = await h.call(key, 'POST', '/api/canvases', canvas);
      expect((await h.call(key, 'POST', `/api/canvases/${c.body.id}/launch`)).status).toBe(200);
      return c.body.id as string;
    };
    const step = async (key: string, id: string, stepId: string) => ((await h.call(key, 'GET', `/api/canvases/${id}/analytics`)).body.steps as { id: string }[]).find((s) => s.id === stepId) as unknown as Record<string, number>;
    const slow = await launch(a.key, {
      name: 'slow receiver', first_step: 'hook',
      steps: [{ id: 'hook', type: 'webhook', next: 'mark', config: { url: `${rx.url}/slow`, body: { user: '{{external_id}}' } } }, { id: 'mark', type: 'user_update', config: { set: { called: true } }, next: null }],
    });
    const synced = await launch(b.key, {
      name: 'to TikTok', first_step: 'sync',
      steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: ADV, audience_id: audience.data.audienceId, action: 'add', fields: ['email'] } }],
    });
    h.worker.start();
    h.webhooks.start();
    sync.start();
    try {
      await h.call(a.key, 'POST', '/api/canvas/trigger/send', { canvas_id: slow, recipients: [{ external_user_id: 'a1' }] });
      await until(async () => rx.held() === 1, 5_000);
      expect(rx.held()).toBe(1);

      const started = Date.now();
      const users = ['b1', 'b2', 'b3'];
      await h.call(b.key, 'POST', '/api/canvas/trigger/send', { canvas_id: synced, recipients: users.map((u) => ({ external_user_id: u, attributes: { email: `${u}@example.com` } })) });
      await until(async () => (await step(b.key, synced, 'sync')).synced === 3, 8_000);
      expect(await step(b.key, synced, 'sync')).toMatchObject({ entered: 3, synced: 3, pending: 0 });
      const members = await emulatorAdmin<EmulatorMembers>(emulator.url, `/audiences/${audience.data.audienceId}/members`);
      expect(new Set(members.members.EMAIL_SHA256)).toEqual(new Set(users.map((u) => sha256Hex(`${u}@example.com`))));
      // Well inside the held call's 10 s timeout, which has not ended: the call is still held.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(rx.held()).toBe(1);
      expect(await step(a.key, slow, 'hook')).toMatchObject({ entered: 1, proceeded: 0 });

      // The receiver answers at last: the waiting user goes on.
      rx.release();
      await until(async () => (await step(a.key, slow, 'mark')).exited === 1, 5_000);
      expect(await step(a.key, slow, 'mark')).toMatchObject({ entered: 1, exited: 1 });
    } finally {
      await sync.stop();
      await h.webhooks.stop();
      await h.worker.stop();
    }
  });
});
