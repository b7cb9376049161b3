/**
 * A TikTok sender scene for tests: an emulator over real HTTP, a token from its OAuth flow, an audience,
 * the journey engine over a store, and canvases with one audience_sync step entered through the API.
 */
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.ts';
import type { TikTokClient } from '../../src/partners/tiktok/client.ts';
import type { ConnectionStatus, TokenSource } from '../../src/sync/sender.ts';
import type { Store } from '../../src/store/port.ts';
import { engineHarness, type EngineHarness } from './engine.ts';
import { consent, emulatorAdmin, SEED, type EmulatorMembers } from './tiktok.ts';

export type TestTokens = TokenSource & { status: Map<string, ConnectionStatus>; token: string };

/** A token from the real OAuth flow, and a token source like the connection service's. */
export async function connectedTokens(emulator: RunningEmulator, client: TikTokClient): Promise<TestTokens> {
  const back = await consent(emulator.url, { state: 's', redirectUri: 'http://127.0.0.1:1/cb' });
  const r = await client.exchangeAuthCode(back.searchParams.get('auth_code')!);
  if (!r.ok) throw new Error(r.failure.message);
  const status = new Map<string, ConnectionStatus>();
  const source = {
    token: r.data.accessToken,
    status,
    accessToken: async (ws: string) => ((status.get(ws) ?? 'connected') === 'connected' ? { token: source.token, status: 'connected' as const } : { token: null, status: status.get(ws)! }),
    markTokenInvalid: async (ws: string) => void status.set(ws, 'invalid_token'),
  };
  return source;
}

export interface SyncScene {
  h: EngineHarness;
  ws: { id: string; key: string };
  tokens: TestTokens;
  audienceId: string;
  /** A launched canvas whose only step syncs to the audience; its id. */
  launch(action: 'add' | 'remove', fields?: string[]): Promise<string>;
  /** Enters users `<prefix><i>` (each with an email) into an API canvas and runs the worker. */
  enter(canvasId: string, indexes: readonly number[], prefix?: string): Promise<void>;
  /** The canvas's audience_sync step as analytics shows it. */
  step(canvasId: string): Promise<Record<string, number>>;
  /** The audience's members at the emulator, hashed emails. */
  emails(): Promise<string[]>;
}

/** A fresh scene: the emulator reset, a workspace, a token and an audience. */
export async function syncScene(store: Store, emulator: RunningEmulator, client: TikTokClient, o: { wakeSync?: () => void } = {}): Promise<SyncScene> {
  await emulatorAdmin(emulator.url, '/reset', {});
  const h = await engineHarness(store, o);
  const ws = await h.workspace();
  const tokens = await connectedTokens(emulator, client);
  const created = await client.createAudience(tokens.token, SEED.advertisers[0], 'Intent test');
  if (!created.ok) throw new Error(created.failure.message);
  const audienceId = created.data.audienceId;
  return {
    h,
    ws,
    tokens,
    audienceId,
    async launch(action, fields = ['email']) {
      const c = await h.call(ws.key, 'POST', '/api/canvases', {
        name: `sync ${action}`,
        first_step: 'sync',
        steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: SEED.advertisers[0], audience_id: audienceId, action, fields } }],
      });
      expect((await h.call(ws.key, 'POST', `/api/canvases/${c.body.id}/launch`)).status).toBe(200);
      return c.body.id as string;
    },
    async enter(canvasId, indexes, prefix = 'u') {
      const recipients = indexes.map((i) => ({ external_user_id: `${prefix}${i}`, attributes: { email: `${prefix}${i}@example.com` } }));
      expect((await h.call(ws.key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients })).status).toBe(201);
      await h.worker.drain();
    },
    step: async (canvasId) => (await h.call(ws.key, 'GET', `/api/canvases/${canvasId}/analytics`)).body.steps[0] as Record<string, number>,
    emails: async () => (await emulatorAdmin<EmulatorMembers>(emulator.url, `/audiences/${audienceId}/members`)).members.EMAIL_SHA256 ?? [],
  };
}

/** Every user of the step counted in exactly one outcome (spec §2.7). */
export function expectBalanced(step: Record<string, number>): void {
  expect(step.entered).toBe((step.synced ?? 0) + (step.not_synced ?? 0) + (step.pending ?? 0) + (step.errored ?? 0));
}

/** Polls `done` every 20 ms for up to `ms`. */
export async function until(done: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
