/**
 * Guarded member changes (issue 19 item 7) on both stores: a role change or a removal never leaves a
 * workspace without an admin, even when two admins demote or remove each other at the same moment
 * from two connections.
 */
import { expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/port.ts';
import type { MemberRole } from '../../src/store/member-port.ts';
import { describeEachStore } from '../support/databases.ts';

const T0 = Date.parse('2026-12-01T12:00:00Z');

describeEachStore('store: member roles and the last admin', ({ store, url, kind }) => {
  const admins = async (s: Store, ws: string) => (await s.listMembers(ws)).filter((m) => m.role === 'admin').map((m) => m.id);
  const add = (s: Store, ws: string, id: string, role: MemberRole) => s.ensureMember({ id, workspaceId: ws, email: `${id}@example.com`, role, passwordHash: null }, T0);

  it('changes a role within the workspace only, and refuses to demote or remove the last admin', async () => {
    const s = store();
    await s.createWorkspace({ id: 'ws_r_a', name: 'A' }, T0);
    await s.createWorkspace({ id: 'ws_r_b', name: 'B' }, T0);
    await add(s, 'ws_r_a', 'mr_admin', 'admin');
    await add(s, 'ws_r_a', 'mr_viewer', 'viewer');
    expect(await s.transaction((tx) => tx.changeMemberRole('ws_r_b', 'mr_viewer', 'admin'))).toEqual({ ok: false, reason: 'not_found' });
    expect(await s.transaction((tx) => tx.changeMemberRole('ws_r_a', 'mr_admin', 'editor'))).toEqual({ ok: false, reason: 'last_admin' });
    expect(await s.transaction((tx) => tx.removeMember('ws_r_a', 'mr_admin'))).toEqual({ ok: false, reason: 'last_admin' });
    const promoted = await s.transaction((tx) => tx.changeMemberRole('ws_r_a', 'mr_viewer', 'editor'));
    expect(promoted).toMatchObject({ ok: true, member: { id: 'mr_viewer', role: 'editor' } });
    expect((await s.getMember('ws_r_a', 'mr_viewer'))?.role).toBe('editor');
    // A second admin: now the first may step down, and the new last admin is guarded in turn.
    await s.transaction((tx) => tx.changeMemberRole('ws_r_a', 'mr_viewer', 'admin'));
    expect(await s.transaction((tx) => tx.changeMemberRole('ws_r_a', 'mr_admin', 'viewer'))).toMatchObject({ ok: true });
    expect(await s.transaction((tx) => tx.removeMember('ws_r_a', 'mr_viewer'))).toEqual({ ok: false, reason: 'last_admin' });
    expect(await s.transaction((tx) => tx.removeMember('ws_r_a', 'mr_admin'))).toMatchObject({ ok: true, member: { id: 'mr_admin' } });
    expect(await admins(s, 'ws_r_a')).toEqual(['mr_viewer']);
  });

  it('two admins demoting and removing each other at once, from two sessions, leave exactly one admin', async () => {
    const s = store();
    // PostgreSQL: a second store, its own pool, so the two transactions really overlap. SQLite: one
    // process holds one connection per file (a second in-process connection would block the event
    // loop in busy_timeout), so both go through the same store, whose transactions queue.
    const other = kind === 'postgres' ? await createStore(url()) : s;
    try {
      for (let round = 0; round < 6; round++) {
        const ws = `ws_race_${round}`;
        await s.createWorkspace({ id: ws, name: ws }, T0);
        await add(s, ws, `${ws}_x`, 'admin');
        await add(s, ws, `${ws}_y`, 'admin');
        // Even rounds: each demotes the other; odd rounds: each removes the other.
        const act = (st: Store, target: string) => st.transaction((tx) => (round % 2 === 0 ? tx.changeMemberRole(ws, target, 'viewer') : tx.removeMember(ws, target)));
        const results = await Promise.all([act(s, `${ws}_y`), act(other, `${ws}_x`)]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'last_admin' }]);
        expect(await admins(s, ws)).toHaveLength(1);
      }
    } finally {
      if (other !== s) await other.close();
    }
  });
});
