import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/connect.ts';
import type { DB } from '../../src/store/schema.ts';
import { describeEachStore } from '../support/databases.ts';

const T0 = Date.parse('2026-11-28T12:00:00Z');
let seq = 0;
const ws = (): string => `ws_tt_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
const hash = (n: number): string => n.toString(16).padStart(64, '0');
/** A state started by a script with an API key: its browser hash is never presented back. */
const byKey = { startedBy: 'api_key', browserHash: 'f'.repeat(64) } as const;

describeEachStore('store: tiktok connections', ({ store, url }) => {
  let db: Kysely<DB>;
  beforeAll(async () => {
    db = (await openDatabase(url())).db;
  });
  afterAll(async () => {
    await db?.destroy();
  });

  describe('oauth states', () => {
    it('is single-use: of many concurrent consumes exactly one gets the workspace', async () => {
      const w = ws();
      await store().insertOAuthState({ stateHash: hash(1_000 + seq), workspaceId: w, expiresAt: T0 + 600_000, ...byKey });
      const results = await Promise.all(Array.from({ length: 8 }, () => store().consumeOAuthState(hash(1_000 + seq), T0, null)));
      expect(results.filter((r) => r === w)).toHaveLength(1);
      expect(results.filter((r) => r === null)).toHaveLength(7);
      const row = await db.selectFrom('oauth_states').selectAll().where('state_hash', '=', hash(1_000 + seq)).executeTakeFirstOrThrow();
      expect(Number(row.used_at)).toBe(T0);
    });

    it('refuses an expired state (expires_at is exclusive) and an unknown one', async () => {
      const w = ws();
      const h = hash(2_000 + seq);
      await store().insertOAuthState({ stateHash: h, workspaceId: w, expiresAt: T0 + 600_000, ...byKey });
      expect(await store().consumeOAuthState(h, T0 + 600_000, null)).toBeNull();
      expect(await store().consumeOAuthState(hash(999_999), T0, null)).toBeNull();
      expect(await store().consumeOAuthState(h, T0 + 599_999, null)).toBe(w);
    });

    it('a state started by a session is consumed only by the browser presenting its cookie; a wrong cookie uses nothing up', async () => {
      const w = ws();
      const h = hash(4_000 + seq);
      const browser = hash(5_000 + seq);
      await store().insertOAuthState({ stateHash: h, workspaceId: w, expiresAt: T0 + 600_000, startedBy: 'session', browserHash: browser });
      expect(await store().consumeOAuthState(h, T0, null)).toBeNull();
      expect(await store().consumeOAuthState(h, T0, hash(6_000 + seq))).toBeNull();
      expect(await store().consumeOAuthState(h, T0, browser)).toBe(w);
      expect(await store().consumeOAuthState(h, T0, browser)).toBeNull();
    });

    it('a state started by an API key needs no cookie, but refuses one that does not match', async () => {
      const w = ws();
      const h = hash(7_000 + seq);
      await store().insertOAuthState({ stateHash: h, workspaceId: w, expiresAt: T0 + 600_000, startedBy: 'api_key', browserHash: hash(8_000 + seq) });
      expect(await store().consumeOAuthState(h, T0, hash(9_000 + seq))).toBeNull();
      expect(await store().consumeOAuthState(h, T0, null)).toBe(w);
      const withCookie = hash(10_000 + seq);
      await store().insertOAuthState({ stateHash: withCookie, workspaceId: w, expiresAt: T0 + 600_000, startedBy: 'api_key', browserHash: hash(11_000 + seq) });
      expect(await store().consumeOAuthState(withCookie, T0, hash(11_000 + seq))).toBe(w); // a script that kept the cookie: fine too
    });

    it('prunes expired states in bounded batches, keeping live ones', async () => {
      const base = 3_000_000 + seq * 100;
      for (let i = 0; i < 5; i++) await store().insertOAuthState({ stateHash: hash(base + i), workspaceId: 'w', expiresAt: T0 - 1, ...byKey });
      await store().insertOAuthState({ stateHash: hash(base + 50), workspaceId: 'w', expiresAt: T0 + 1, ...byKey });
      const first = await store().pruneOAuthStates(T0, 3);
      expect(first).toBe(3);
      let rest = 0;
      for (let n = await store().pruneOAuthStates(T0, 3); n > 0; n = await store().pruneOAuthStates(T0, 3)) rest += n;
      expect(first + rest).toBeGreaterThanOrEqual(5);
      expect(await store().consumeOAuthState(hash(base + 50), T0, null)).toBe('w');
    });
  });

  describe('connections and advertisers', () => {
    it('is null before a connect; saving connects; the token is stored only as given (encrypted by the caller)', async () => {
      const w = ws();
      expect(await store().getTikTokConnection(w)).toBeNull();
      await store().saveTikTokConnection({ workspaceId: w, appId: 'app', encryptedToken: 'v1:enc-1' }, T0);
      expect(await store().getTikTokConnection(w)).toEqual({ workspaceId: w, appId: 'app', status: 'connected', encryptedToken: 'v1:enc-1', statusReason: null, connectedAt: T0, updatedAt: T0 });
    });

    it('marks invalid only from connected, keeps the token, and honours the fence', async () => {
      const w = ws();
      await store().saveTikTokConnection({ workspaceId: w, appId: 'app', encryptedToken: 'v1:old' }, T0);
      // A reconnect replaced the token; a failure of the old one must not invalidate the new one.
      await store().saveTikTokConnection({ workspaceId: w, appId: 'app', encryptedToken: 'v1:new' }, T0 + 1);
      expect(await store().markTikTokTokenInvalid(w, 'token_revoked', T0 + 2, { encryptedToken: 'v1:old' })).toBe(false);
      expect((await store().getTikTokConnection(w))!.status).toBe('connected');
      expect(await store().markTikTokTokenInvalid(w, 'token_revoked', T0 + 3, { encryptedToken: 'v1:new' })).toBe(true);
      expect(await store().getTikTokConnection(w)).toMatchObject({ status: 'invalid_token', statusReason: 'token_revoked', encryptedToken: 'v1:new', updatedAt: T0 + 3, connectedAt: T0 + 1 });
      expect(await store().markTikTokTokenInvalid(w, 'again', T0 + 4)).toBe(false);
      // A reconnect replaces it and clears the reason.
      await store().saveTikTokConnection({ workspaceId: w, appId: 'app', encryptedToken: 'v1:newer' }, T0 + 5);
      expect(await store().getTikTokConnection(w)).toMatchObject({ status: 'connected', statusReason: null, encryptedToken: 'v1:newer' });
    });

    it('reseals a token only while the row still holds the ciphertext it was read as, whatever the status', async () => {
      const w = ws();
      await store().saveTikTokConnection({ workspaceId: w, appId: 'app', encryptedToken: 'v1:old' }, T0);
      await store().markTikTokTokenInvalid(w, 'token_revoked', T0 + 1);
      expect(await store().resealTikTokToken(w, 'v1:other', 'v2:x')).toBe(false);
      expect(await store().resealTikTokToken(ws(), 'v1:old', 'v2:x')).toBe(false);
      expect(await store().resealTikTokToken(w, 'v1:old', 'v2:new')).toBe(true);
      expect(await store().getTikTokConnection(w)).toMatchObject({ encryptedToken: 'v2:new', status: 'invalid_token', statusReason: 'token_revoked', updatedAt: T0 + 1 });
    });

    it('replaces and selects advertisers per workspace; disconnect erases the token and forgets them', async () => {
      const [a, b] = [ws(), ws()];
      for (const w of [a, b]) await store().saveTikTokConnection({ workspaceId: w, appId: 'app', encryptedToken: `v1:${w}` }, T0);
      await store().transaction((tx) =>
        tx.replaceTikTokAdvertisers(a, [
          { advertiserId: '2', advertiserName: 'Two', selected: false },
          { advertiserId: '1', advertiserName: 'One', selected: true },
        ]),
      );
      await store().transaction((tx) => tx.replaceTikTokAdvertisers(b, [{ advertiserId: '1', advertiserName: 'Other', selected: true }]));
      expect(await store().listTikTokAdvertisers(a)).toEqual([
        { advertiserId: '1', advertiserName: 'One', selected: true },
        { advertiserId: '2', advertiserName: 'Two', selected: false },
      ]);
      await store().selectTikTokAdvertisers(a, ['2', '2']);
      expect((await store().listTikTokAdvertisers(a)).map((x) => x.selected)).toEqual([false, true]);
      await store().selectTikTokAdvertisers(a, []);
      expect((await store().listTikTokAdvertisers(a)).map((x) => x.selected)).toEqual([false, false]);
      expect(await store().listTikTokAdvertisers(b)).toEqual([{ advertiserId: '1', advertiserName: 'Other', selected: true }]);

      await store().transaction((tx) => tx.replaceTikTokAdvertisers(a, [{ advertiserId: '3', advertiserName: 'Three', selected: true }]));
      expect((await store().listTikTokAdvertisers(a)).map((x) => x.advertiserId)).toEqual(['3']);

      await store().transaction((tx) => tx.disconnectTikTok(a, 'disconnected', T0 + 9));
      expect(await store().getTikTokConnection(a)).toMatchObject({ status: 'disconnected', encryptedToken: null, statusReason: 'disconnected', updatedAt: T0 + 9 });
      expect(await store().listTikTokAdvertisers(a)).toEqual([]);
      expect(await store().getTikTokConnection(b)).toMatchObject({ status: 'connected', encryptedToken: `v1:${b}` });
      expect(await store().listTikTokAdvertisers(b)).toHaveLength(1);
      // Idempotent.
      await store().transaction((tx) => tx.disconnectTikTok(a, 'disconnected', T0 + 10));
      expect((await store().getTikTokConnection(a))!.status).toBe('disconnected');
    });
  });
});
