// Migration 0012: OAuth states pending at the upgrade were started with API keys (every connect was),
// so they keep completing without a cookie, and refuse one that does not match, as any API-key state.
import { afterAll, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import { databaseBefore, describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const hex = (c: string) => c.repeat(64);

describeEachStore('store: migration 0012 (OAuth states bound to the browser)', ({ kind }) => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('reads a state written before it as started by an API key', async () => {
    const db = await databaseBefore(kind, '0012');
    drops.push(db.drop);
    await db.raw.insertInto('oauth_states').values([
      { state_hash: hex('a'), workspace_id: 'ws_a', expires_at: NOW + 600_000, used_at: null },
      { state_hash: hex('b'), workspace_id: 'ws_b', expires_at: NOW + 600_000, used_at: null },
    ]).execute();
    await db.raw.destroy();

    const store = await createStore(db.url);
    try {
      expect(await store.consumeOAuthState(hex('a'), NOW, null)).toBe('ws_a');
      expect(await store.consumeOAuthState(hex('b'), NOW, hex('c'))).toBeNull();
      expect(await store.consumeOAuthState(hex('b'), NOW, null)).toBe('ws_b');
    } finally {
      await store.close();
    }
  });
});
