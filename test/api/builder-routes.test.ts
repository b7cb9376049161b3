/**
 * The canvas editor's helper routes (issue 19): event names for suggestions, and the webhook preview
 * that renders a step for one profile and sends nothing. On both stores.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/app.ts';
import { MAX_EVENT_NAMES } from '../../src/api/routes/events.ts';
import { createTestWorkspace, testApi, type TestApi } from '../support/api.ts';
import { describeEachStore } from '../support/databases.ts';
import { startReceiver, type Receiver } from '../support/receivers.ts';
import { signedInMember } from '../support/sessions.ts';

describeEachStore('api: canvas editor helpers', ({ store }) => {
  let api: TestApi;
  let receiver: Receiver;
  beforeAll(async () => {
    api = await testApi(store());
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
  });
  const track = (key: string, body: unknown) => api.call(key, 'POST', '/api/users/track', body);
  const event = (external_id: string, name: string) => ({ external_id, name, time: '2026-11-28T11:00:00Z' });

  describe('GET /api/events/names', () => {
    it("answers the workspace's distinct event names in name order, and none of another workspace's", async () => {
      const mine = await api.workspace();
      const other = await api.workspace();
      expect((await api.call(mine.key, 'GET', '/api/events/names')).body).toEqual({ events: [] });
      await track(mine.key, { events: [event('u1', 'purchase'), event('u2', 'app_open'), event('u1', 'purchase'), event('u3', 'Signup')] });
      await track(other.key, { events: [event('u9', 'secret_event')] });
      const answer = await api.call(mine.key, 'GET', '/api/events/names');
      expect(answer.status).toBe(200);
      expect(answer.body.events.map((e: { name: string }) => e.name).sort()).toEqual(['Signup', 'app_open', 'purchase']);
      expect(answer.body.events).toHaveLength(3);
    });

    it(`stops at ${MAX_EVENT_NAMES} names`, async () => {
      const { key } = await api.workspace();
      const names = Array.from({ length: MAX_EVENT_NAMES + 20 }, (_, i) => `e${String(i).padStart(4, '0')}`);
      expect((await track(key, { events: names.map((n) => event('u', n)) })).body.events_processed).toBe(names.length);
      const got = (await api.call(key, 'GET', '/api/events/names')).body.events.map((e: { name: string }) => e.name);
      expect(got).toEqual(names.slice(0, MAX_EVENT_NAMES));
    });

    it('is open to viewers, and needs credentials', async () => {
      const { id, key } = await api.workspace();
      await track(key, { events: [event('u', 'opened')] });
      const viewer = await signedInMember(api.app, store(), api.clock, id, 'viewer');
      const res = await viewer.send('GET', '/api/events/names');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ events: [{ name: 'opened' }] });
      expect((await api.call(null, 'GET', '/api/events/names')).status).toBe(401);
    });
  });

  describe('POST /api/webhooks/preview', () => {
    const preview = (key: string, body: unknown) => api.call(key, 'POST', '/api/webhooks/preview', body);

    it('renders URL, headers and body for the profile as the sender would, and sends nothing', async () => {
      const { key } = await api.workspace();
      await track(key, { attributes: [{ external_id: 'ana-1', first_name: '<b>Ana</b>', plan: 'gold' }] });
      const config = {
        url: `${receiver.url}/hook/{{external_id}}?plan={{plan}}`,
        method: 'POST',
        headers: { Authorization: 'Bearer s3cret-{{plan}}' },
        body: { user: '{{external_id}}', name: '{{first_name}}', nested: { '{{plan}}': [1, '{{missing}}'] } },
      };
      const res = await preview(key, { config, external_id: 'ana-1' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        url: `${receiver.url}/hook/ana-1?plan=gold`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Cohort-Webhook/1', Authorization: 'Bearer s3cret-gold' },
        body: JSON.stringify({ user: 'ana-1', name: '<b>Ana</b>', nested: { gold: [1, ''] } }),
      });
      // Give a stray request time to arrive: the receiver must have seen none.
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.seen).toEqual([]);
    });

    it('sends no body for GET, as the sender', async () => {
      const { key } = await api.workspace();
      await track(key, { attributes: [{ external_id: 'u' }] });
      const res = await preview(key, { config: { url: 'https://example.test/x', method: 'GET', body: { a: 1 } }, external_id: 'u' });
      expect(res.body).toMatchObject({ method: 'GET', body: null });
    });

    it("is 404 in words for an unknown user and for another workspace's user", async () => {
      const mine = await api.workspace();
      const other = await api.workspace();
      await track(other.key, { attributes: [{ external_id: 'theirs' }] });
      for (const external_id of ['nobody', 'theirs']) {
        const res = await preview(mine.key, { config: { url: 'https://example.test/' }, external_id });
        expect(res.status).toBe(404);
        expect(res.body.error).toEqual({ code: 'user_not_found', message: 'no user with this external_id in this workspace' });
      }
    });

    it('refuses a config that is not a webhook config, saying where', async () => {
      const { key } = await api.workspace();
      await track(key, { attributes: [{ external_id: 'u' }] });
      const res = await preview(key, { config: { url: 'https://example.test/', method: 'TRACE' }, external_id: 'u' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('config.method');
      expect((await preview(key, { config: {} })).status).toBe(400);
    });

    it('never logs header values or the rendered request, even at debug level', async () => {
      const lines: string[] = [];
      const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
      const deps = {
        store: store(),
        clock: api.clock,
        engine: { afterTrack: async () => {} },
        journeys: { canvases: { getCanvasSnapshot: async () => null, getDefinitions: async () => new Map(), listActiveCanvases: async () => [] }, wake: () => {} },
        tiktokLaunchContext: async () => ({ status: 'disconnected' as const, advertiserIds: [] }),
      };
      const logged = await buildApi({ deps, logger: { level: 'trace', stream } });
      try {
        const { key } = await createTestWorkspace(store(), api.clock.now());
        await track(key, { attributes: [{ external_id: 'u-logged', plan: 'plan-canary' }] });
        const payload = JSON.stringify({ config: { url: 'https://example.test/{{plan}}', headers: { Authorization: 'Bearer header-canary-{{plan}}' }, body: { p: '{{plan}}' } }, external_id: 'u-logged' });
        const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        expect((await logged.inject({ method: 'POST', url: '/api/webhooks/preview', headers, payload })).statusCode).toBe(200);
        expect((await logged.inject({ method: 'POST', url: '/api/webhooks/preview', headers, payload: payload.replace('u-logged', 'nobody') })).statusCode).toBe(404);
        expect(lines.length).toBeGreaterThan(0);
        const log = lines.join('');
        for (const secret of ['header-canary', 'plan-canary', 'u-logged', 'nobody']) expect(log).not.toContain(secret);
      } finally {
        await logged.close();
      }
    });

    it('is for editors and up: a viewer gets 403, an editor the preview', async () => {
      const { id, key } = await api.workspace();
      await track(key, { attributes: [{ external_id: 'u' }] });
      const body = { config: { url: 'https://example.test/{{external_id}}' }, external_id: 'u' };
      const viewer = await signedInMember(api.app, store(), api.clock, id, 'viewer');
      expect((await viewer.send('POST', '/api/webhooks/preview', body)).statusCode).toBe(403);
      const editor = await signedInMember(api.app, store(), api.clock, id, 'editor');
      const res = await editor.send('POST', '/api/webhooks/preview', body);
      expect(res.statusCode).toBe(200);
      expect(res.json().url).toBe('https://example.test/u');
    });
  });
});
