import { afterAll, expect, it } from 'vitest';
import { parseCanvas, type CanvasDefinition } from '../../src/core/canvas.ts';
import { createStore } from '../../src/store/index.ts';
import { databaseBefore, describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');

function def(body: Record<string, unknown>): CanvasDefinition {
  const parsed = parseCanvas(body);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.canvas;
}

describeEachStore('store: canvases', ({ store, kind }) => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('moves status only from the statuses it is given (compare-and-set)', async () => {
    await store().transaction((tx) => tx.insertCanvas({ id: 'cv_cas', workspaceId: 'ws_s', definition: def({ name: 'cas' }) }, NOW));
    expect(await store().setCanvasStatus('ws_s', 'cv_cas', { from: ['stopped'], to: 'active' }, NOW + 1)).toBe(false);
    expect(await store().setCanvasStatus('ws_other', 'cv_cas', { from: ['draft'], to: 'active' }, NOW + 1)).toBe(false);
    expect(await store().setCanvasStatus('ws_s', 'cv_cas', { from: ['draft'], to: 'active', launchedAt: NOW + 1 }, NOW + 1)).toBe(true);
    expect(await store().getCanvas('ws_s', 'cv_cas')).toMatchObject({ status: 'active', launchedAt: NOW + 1, updatedAt: NOW + 1, createdAt: NOW, version: 1 });
    expect(await store().deleteCanvas('ws_s', 'cv_cas', { from: ['draft'] })).toBe(false);
    expect(await store().getCanvas('ws_s', 'cv_cas')).not.toBeNull();
  });

  it('versions: in-place replacement keeps the number, a new version bumps it; both are scoped by workspace', async () => {
    await store().transaction((tx) => tx.insertCanvas({ id: 'cv_ver', workspaceId: 'ws_s', definition: def({ name: 'v1' }) }, NOW));
    expect(await store().transaction((tx) => tx.replaceCanvasDefinition('ws_s', 'cv_ver', def({ name: 'v1 edited' }), NOW + 1))).toBe(true);
    expect(await store().transaction((tx) => tx.replaceCanvasDefinition('ws_other', 'cv_ver', def({ name: 'hijack' }), NOW + 1))).toBe(false);
    expect(await store().transaction((tx) => tx.insertCanvasVersion('ws_other', 'cv_ver', def({ name: 'hijack' }), NOW + 1))).toBeNull();
    expect(await store().transaction((tx) => tx.insertCanvasVersion('ws_s', 'cv_ver', def({ name: 'v2' }), NOW + 2))).toBe(2);
    expect((await store().getCanvas('ws_s', 'cv_ver'))?.definition.name).toBe('v2');
    expect(await store().getCanvasVersion('ws_s', 'cv_ver', 1)).toMatchObject({ canvasId: 'cv_ver', version: 1, createdAt: NOW, definition: { name: 'v1 edited' } });
    expect(await store().getCanvasVersion('ws_other', 'cv_ver', 1)).toBeNull();
  });

  it('reads 1,200 version refs in one call (chunked under the parameter limits)', async () => {
    await store().transaction(async (tx) => {
      await tx.insertCanvas({ id: 'cv_many', workspaceId: 'ws_s', definition: def({ name: 'v1' }) }, NOW);
      for (let v = 2; v <= 1_200; v++) await tx.insertCanvasVersion('ws_s', 'cv_many', def({ name: `v${v}` }), NOW);
    });
    const refs = Array.from({ length: 1_200 }, (_, i) => ({ canvasId: 'cv_many', version: i + 1 }));
    const found = await store().getCanvasVersions('ws_s', refs);
    expect(found).toHaveLength(1_200);
    expect(new Set(found.map((v) => v.definition.name)).size).toBe(1_200);
  });

  it('migration 0002 backfills the entry columns of canvases written before it', async () => {
    const db = await databaseBefore(kind, '0002');
    drops.push(db.drop);
    const { raw } = db;
    const old = def({ name: 'old', entry: { type: 'event', event: 'purchase' }, exit: { events: ['churned'] } });
    await raw.insertInto('canvases').values({ id: 'cv_old', workspace_id: 'ws_m', name: 'old', status: 'active', version: 1, created_at: NOW, updated_at: NOW, launched_at: NOW }).execute();
    await raw.insertInto('canvas_versions').values({ canvas_id: 'cv_old', version: 1, definition: JSON.stringify(old), created_at: NOW }).execute();
    await raw.destroy();

    const migrated = await createStore(db.url);
    try {
      expect((await migrated.listActiveCanvasesByEntryEvent('ws_m', ['purchase'])).map((c) => c.id)).toEqual(['cv_old']);
    } finally {
      await migrated.close();
    }
  });
});
