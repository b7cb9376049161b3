/**
 * `PATCH /api/members/{id}` (issue 19 item 7) over HTTP on both stores: admins change roles, others
 * get 403, the change takes effect on the member's next request, and the last admin is never demoted
 * or removed — refused with a 409 that says why, also when two admins act at once.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachStore } from '../support/databases.ts';
import { partnerHarness, type PartnerHarness } from '../support/partners.ts';
import { signedInMember, type Browser } from '../support/sessions.ts';

const json = (res: LightMyRequestResponse) => JSON.parse(res.body);

describeEachStore('api: member roles', ({ store }) => {
  let h: PartnerHarness;
  let workspaceId: string;
  let admin: Browser;
  beforeAll(async () => {
    h = await partnerHarness(store());
    workspaceId = (await h.workspace()).id;
    admin = await signedInMember(h.app, store(), h.clock, workspaceId, 'admin', 'boss@example.com');
  });
  afterAll(async () => {
    await h?.close();
  });
  const idOf = async (email: string) => ((json(await admin.send('GET', '/api/members')).members as { id: string; email: string }[]).find((m) => m.email === email)!.id);

  it('an admin changes a role (200 with the member); the member can do more at once; editors and viewers get 403', async () => {
    const ed = await signedInMember(h.app, store(), h.clock, workspaceId, 'editor', 'ed@example.com');
    const id = await idOf('ed@example.com');
    expect((await ed.send('PATCH', `/api/members/${id}`, { role: 'admin' })).statusCode).toBe(403);
    expect((await ed.send('GET', '/api/members')).statusCode).toBe(403);
    const bad = await admin.send('PATCH', `/api/members/${id}`, { role: 'owner' });
    expect(bad.statusCode).toBe(400);
    const res = await admin.send('PATCH', `/api/members/${id}`, { role: 'admin' });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ id, email: 'ed@example.com', role: 'admin' });
    // The same session is an admin now.
    expect((await ed.send('GET', '/api/members')).statusCode).toBe(200);
    expect((await admin.send('PATCH', `/api/members/${id}`, { role: 'viewer' })).statusCode).toBe(200);
    expect((await ed.send('GET', '/api/members')).statusCode).toBe(403);
    expect((await admin.send('PATCH', '/api/members/mb_nobody', { role: 'viewer' })).statusCode).toBe(404);
  });

  it('refuses in words to demote or remove the last admin, and of two admins demoting each other at once one stays admin', async () => {
    const bossId = await idOf('boss@example.com');
    for (const res of [await admin.send('PATCH', `/api/members/${bossId}`, { role: 'editor' }), await admin.send('DELETE', `/api/members/${bossId}`)]) {
      expect(res.statusCode).toBe(409);
      expect(json(res).error).toMatchObject({ code: 'last_admin' });
      expect(json(res).error.message).toMatch(/last admin/);
    }
    const second = await signedInMember(h.app, store(), h.clock, workspaceId, 'admin', 'second@example.com');
    const secondId = await idOf('second@example.com');
    const [a, b] = await Promise.all([admin.send('PATCH', `/api/members/${secondId}`, { role: 'viewer' }), second.send('PATCH', `/api/members/${bossId}`, { role: 'viewer' })]);
    // One wins. The other is refused: 409 if its role check passed before the winner committed (the
    // store's lock decides), 403 if it ran after (it is no admin any more). Never both 200.
    const codes = [a.statusCode, b.statusCode].sort();
    expect(codes[0]).toBe(200);
    expect([403, 409]).toContain(codes[1]);
    const members = json(await (a.statusCode === 200 ? admin : second).send('GET', '/api/members')).members as { role: string }[];
    expect(members.filter((m) => m.role === 'admin')).toHaveLength(1);
  });
});
