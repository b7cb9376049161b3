// Migration 0018: who saved each canvas version. Versions written before it have no one on record:
// the list says null (the page shows "unknown"), and a version saved after it names its saver.
import { afterAll, expect, it } from 'vitest';
import { parseCanvas } from '../../src/core/canvas.ts';
import { createStore } from '../../src/store/index.ts';
import { databaseBefore, describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-12-05T12:00:00Z');

describeEachStore('store: migration 0018 (who saved a canvas version)', ({ kind }) => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it('reads a version written before it as saved by nobody known; a later version names its saver', async () => {
    const db = await databaseBefore(kind, '0018');
    drops.push(db.drop);
    const definition = JSON.stringify({ name: 'old', entry: { type: 'api' }, audience: null, reentry: { allowed: false, after_seconds: 0 }, exit: { events: [] }, first_step: null, steps: [] });
    await db.raw
      .insertInto('canvases')
      .values({ id: 'cv_old', workspace_id: 'ws_m', name: 'old', status: 'stopped', version: 1, created_at: NOW, updated_at: NOW, launched_at: NOW, entry_type: 'api', entry_event: null, exit_events: '[]' })
      .execute();
    await db.raw.insertInto('canvas_versions').values({ canvas_id: 'cv_old', version: 1, definition, created_at: NOW }).execute();
    await db.raw.destroy();

    const store = await createStore(db.url);
    try {
      const parsed = parseCanvas({ name: 'new' });
      if (!parsed.ok) throw new Error(parsed.problems.join('; '));
      expect(await store.transaction((tx) => tx.insertCanvasVersion('ws_m', 'cv_old', parsed.canvas, NOW + 1_000, 'mara@example.com'))).toBe(2);
      expect(await store.listCanvasVersions('ws_m', 'cv_old')).toEqual([
        { version: 2, savedAt: NOW + 1_000, savedBy: 'mara@example.com', usersIn: 0 },
        { version: 1, savedAt: NOW, savedBy: null, usersIn: 0 },
      ]);
      expect(await store.listCanvasVersions('ws_other', 'cv_old')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
