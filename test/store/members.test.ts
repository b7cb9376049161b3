import { expect, it } from 'vitest';
import { describeEachStore } from '../support/databases.ts';

const T0 = Date.parse('2026-11-28T12:00:00Z');
const hash = (n: number): string => n.toString(16).padStart(64, '0');

describeEachStore('store: members, sessions, sign-in links', ({ store }) => {
  it('counts members, finds the oldest workspace, and keeps one member per (workspace, email)', async () => {
    const s = store();
    expect(await s.countMembers()).toBe(0);
    expect(await s.firstWorkspace()).toBeNull();
    await s.createWorkspace({ id: 'ws_m_a', name: 'A' }, T0);
    await s.createWorkspace({ id: 'ws_m_b', name: 'B' }, T0 + 1);
    expect((await s.firstWorkspace())?.id).toBe('ws_m_a');
    const first = await s.ensureMember({ id: 'mb_1', workspaceId: 'ws_m_a', email: 'ann@example.com', role: 'admin', passwordHash: 'h' }, T0);
    expect(first.created).toBe(true);
    const again = await s.ensureMember({ id: 'mb_2', workspaceId: 'ws_m_a', email: 'ann@example.com', role: 'viewer', passwordHash: null }, T0);
    expect(again).toMatchObject({ created: false, member: { id: 'mb_1', role: 'admin', passwordHash: 'h' } });
    await s.ensureMember({ id: 'mb_3', workspaceId: 'ws_m_b', email: 'ann@example.com', role: 'viewer', passwordHash: null }, T0 + 5);
    expect(await s.countMembers()).toBe(2);
    expect((await s.findMembersByEmail('ann@example.com')).map((m) => m.id)).toEqual(['mb_1', 'mb_3']);
    // Scoped by workspace: a member id of workspace A is not found in B.
    expect(await s.getMember('ws_m_b', 'mb_1')).toBeNull();
    expect((await s.getMember('ws_m_a', 'mb_1'))?.email).toBe('ann@example.com');
  });

  it('stores sessions by hash with their member and workspace, touches and deletes them', async () => {
    const s = store();
    await s.insertSession({ id: hash(1), memberId: 'mb_1', workspaceId: 'ws_m_a', csrfToken: 'c1', expiresAt: T0 + 1000 }, T0);
    expect(await s.getSession(hash(1))).toMatchObject({ memberId: 'mb_1', workspaceId: 'ws_m_a', csrfToken: 'c1', createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 1000, member: { email: 'ann@example.com', role: 'admin' }, workspace: { id: 'ws_m_a', name: 'A' } });
    await s.touchSession(hash(1), T0 + 10);
    expect((await s.getSession(hash(1)))?.lastSeenAt).toBe(T0 + 10);
    // A session row naming a member of another workspace is no session at all.
    await s.insertSession({ id: hash(2), memberId: 'mb_1', workspaceId: 'ws_m_b', csrfToken: 'c2', expiresAt: T0 + 1000 }, T0);
    expect(await s.getSession(hash(2))).toBeNull();
    await s.deleteSession(hash(1));
    expect(await s.getSession(hash(1))).toBeNull();
  });

  it('consumes a sign-in link once, and never after it expires', async () => {
    const s = store();
    await s.insertSignInLink({ tokenHash: hash(10), memberId: 'mb_3', expiresAt: T0 + 100 });
    await s.insertSignInLink({ tokenHash: hash(11), memberId: 'mb_3', expiresAt: T0 + 100 });
    const uses = await Promise.all([1, 2, 3, 4].map(() => s.consumeSignInLink(hash(10), T0)));
    expect(uses.filter((m) => m !== null).map((m) => m!.id)).toEqual(['mb_3']);
    expect(await s.consumeSignInLink(hash(11), T0 + 100)).toBeNull();
    expect(await s.consumeSignInLink(hash(12), T0)).toBeNull();
  });

  it('lists, re-passwords and removes members within their workspace only, with their sessions and links', async () => {
    const s = store();
    expect((await s.listMembers('ws_m_a')).map((m) => m.id)).toEqual(['mb_1']);
    expect(await s.setMemberPassword('ws_m_b', 'mb_1', 'other')).toBe(false);
    expect(await s.setMemberPassword('ws_m_a', 'mb_1', 'h2')).toBe(true);
    expect((await s.getMember('ws_m_a', 'mb_1'))?.passwordHash).toBe('h2');
    await s.insertSession({ id: hash(20), memberId: 'mb_3', workspaceId: 'ws_m_b', csrfToken: 'c', expiresAt: T0 + 1000 }, T0);
    await s.insertSignInLink({ tokenHash: hash(21), memberId: 'mb_3', expiresAt: T0 + 1000 });
    expect(await s.deleteMember('ws_m_a', 'mb_3')).toBe(false);
    expect(await s.getSession(hash(20))).not.toBeNull();
    expect(await s.deleteMember('ws_m_b', 'mb_3')).toBe(true);
    expect(await s.getSession(hash(20))).toBeNull();
    expect(await s.consumeSignInLink(hash(21), T0)).toBeNull();
    expect(await s.listMembers('ws_m_b')).toEqual([]);
  });
});
