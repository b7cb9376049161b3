// API keys in the store (migration 0014): names, last use, revoke; and keys made before the migration.
import { afterAll, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import { databaseBefore, describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const hex = (c: string) => c.repeat(64);

describeEachStore('store: API keys', ({ store, kind }) => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('lists a workspace’s keys newest first with name and last use; revoke deletes only this workspace’s key', async () => {
    await store().createWorkspace({ id: 'ws_k1', name: 'K1' }, NOW);
    await store().createWorkspace({ id: 'ws_k2', name: 'K2' }, NOW);
    await store().insertApiKey({ id: 'key_old', workspaceId: 'ws_k1', keyHash: hex('1') }, NOW);
    await store().insertApiKey({ id: 'key_new', workspaceId: 'ws_k1', keyHash: hex('2'), name: 'Importer' }, NOW + 1_000);
    await store().insertApiKey({ id: 'key_other', workspaceId: 'ws_k2', keyHash: hex('3'), name: 'Theirs' }, NOW);
    expect(await store().listApiKeys('ws_k1')).toEqual([
      { id: 'key_new', workspaceId: 'ws_k1', name: 'Importer', createdAt: NOW + 1_000, lastUsedAt: null },
      { id: 'key_old', workspaceId: 'ws_k1', name: 'API key', createdAt: NOW, lastUsedAt: null },
    ]);

    await store().touchApiKey('key_new', NOW + 5_000);
    await store().touchApiKey('key_new', NOW + 2_000); // an older time (another process's clock) does not move it back
    expect(await store().findApiKeyByHash(hex('2'))).toEqual({ id: 'key_new', workspaceId: 'ws_k1', lastUsedAt: NOW + 5_000 });

    expect(await store().deleteApiKey('ws_k1', 'key_other')).toBe(false);
    expect(await store().findApiKeyByHash(hex('3'))).not.toBeNull();
    expect(await store().deleteApiKey('ws_k1', 'key_new')).toBe(true);
    expect(await store().deleteApiKey('ws_k1', 'key_new')).toBe(false);
    expect(await store().findApiKeyByHash(hex('2'))).toBeNull();
    expect((await store().listApiKeys('ws_k1')).map((k) => k.id)).toEqual(['key_old']);
  });

  it('a key made before migration 0014 keeps working, named "API key", never used', async () => {
    const db = await databaseBefore(kind, '0014');
    drops.push(db.drop);
    await db.raw.insertInto('workspaces').values({ id: 'ws_m', name: 'M', default_country: null, created_at: NOW }).execute();
    await db.raw.insertInto('api_keys').values({ id: 'key_m', workspace_id: 'ws_m', key_hash: hex('m'), created_at: NOW }).execute();
    await db.raw.destroy();

    const migrated = await createStore(db.url);
    try {
      expect(await migrated.findApiKeyByHash(hex('m'))).toEqual({ id: 'key_m', workspaceId: 'ws_m', lastUsedAt: null });
      expect(await migrated.listApiKeys('ws_m')).toEqual([{ id: 'key_m', workspaceId: 'ws_m', name: 'API key', createdAt: NOW, lastUsedAt: null }]);
    } finally {
      await migrated.close();
    }
  });
});
