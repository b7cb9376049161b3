import { sql } from 'kysely';
import type { MemberChange, MemberQueries, Member, MemberRole, SessionRecord } from '../member-port.ts';
import type { QueryContext } from './context.ts';

type MemberRow = { id: string; workspace_id: string; email: string; role: string; password_hash: string | null; created_at: number };

export function memberQueries({ db, dialect }: QueryContext): MemberQueries {
  /**
   * The member, read after the workspace is locked for member changes, and how many other admins
   * exist. PostgreSQL (READ COMMITTED) would let two transactions each see the other admin and both
   * write, so the workspace row is taken FOR UPDATE first: the second waits and then sees the first's
   * change. SQLite's BEGIN IMMEDIATE already serialises writers.
   */
  async function lockedTarget(workspaceId: string, id: string): Promise<{ member: Member; otherAdmins: number } | null> {
    if (dialect === 'postgres') await sql`select id from workspaces where id = ${workspaceId} for update`.execute(db);
    const row = await db.selectFrom('members').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const others = await db
      .selectFrom('members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('role', '=', 'admin')
      .where('id', '<>', id)
      .executeTakeFirstOrThrow();
    return { member: toMember(row), otherAdmins: Number(others.n) };
  }

  const queries: MemberQueries = {
    async countMembers() {
      const row = await db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async firstWorkspace() {
      const row = await db.selectFrom('workspaces').selectAll().orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
      return row ? { id: row.id, name: row.name, defaultCountry: row.default_country, createdAt: Number(row.created_at) } : null;
    },
    async ensureMember(m, now) {
      const inserted = await db
        .insertInto('members')
        .values({ id: m.id, workspace_id: m.workspaceId, email: m.email, role: m.role, password_hash: m.passwordHash, created_at: now })
        .onConflict((oc) => oc.columns(['workspace_id', 'email']).doNothing())
        .executeTakeFirst();
      const row = await db.selectFrom('members').selectAll().where('workspace_id', '=', m.workspaceId).where('email', '=', m.email).executeTakeFirstOrThrow();
      return { member: toMember(row), created: Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0 };
    },
    async findMembersByEmail(email) {
      const rows = await db.selectFrom('members').selectAll().where('email', '=', email).orderBy('created_at').orderBy('id').execute();
      return rows.map(toMember);
    },
    async getMember(workspaceId, id) {
      const row = await db.selectFrom('members').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
      return row ? toMember(row) : null;
    },
    async listMembers(workspaceId) {
      const rows = await db.selectFrom('members').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toMember);
    },
    async deleteMember(workspaceId, id) {
      const owned = db.selectFrom('members').select('id').where('workspace_id', '=', workspaceId).where('id', '=', id);
      await db.deleteFrom('sessions').where('member_id', 'in', owned).execute();
      await db.deleteFrom('sign_in_links').where('member_id', 'in', owned).execute();
      const gone = await db.deleteFrom('members').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
      return Number(gone.numDeletedRows) > 0;
    },
    async removeMember(workspaceId, id): Promise<MemberChange> {
      const t = await lockedTarget(workspaceId, id);
      if (!t) return { ok: false, reason: 'not_found' };
      if (t.member.role === 'admin' && t.otherAdmins === 0) return { ok: false, reason: 'last_admin' };
      await queries.deleteMember(workspaceId, id);
      return { ok: true, member: t.member };
    },
    async changeMemberRole(workspaceId, id, role): Promise<MemberChange> {
      const t = await lockedTarget(workspaceId, id);
      if (!t) return { ok: false, reason: 'not_found' };
      if (t.member.role === 'admin' && role !== 'admin' && t.otherAdmins === 0) return { ok: false, reason: 'last_admin' };
      await db.updateTable('members').set({ role }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
      return { ok: true, member: { ...t.member, role } };
    },
    async setMemberPassword(workspaceId, id, passwordHash) {
      const done = await db.updateTable('members').set({ password_hash: passwordHash }).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
      return Number(done.numUpdatedRows) > 0;
    },
    async insertSession(s, now) {
      await db
        .insertInto('sessions')
        .values({ id: s.id, member_id: s.memberId, workspace_id: s.workspaceId, csrf_token: s.csrfToken, created_at: now, expires_at: s.expiresAt, last_seen_at: now })
        .execute();
    },
    async getSession(id) {
      // The member's workspace must be the session's: a session never outlives a move between workspaces.
      const row = await db
        .selectFrom('sessions as s')
        .innerJoin('members as m', (j) => j.onRef('m.id', '=', 's.member_id').onRef('m.workspace_id', '=', 's.workspace_id'))
        .innerJoin('workspaces as w', 'w.id', 's.workspace_id')
        .select(['s.id', 's.member_id', 's.workspace_id', 's.csrf_token', 's.created_at', 's.expires_at', 's.last_seen_at', 'm.email', 'm.role', 'w.name'])
        .where('s.id', '=', id)
        .executeTakeFirst();
      if (!row) return null;
      const session: SessionRecord = {
        id: row.id,
        memberId: row.member_id,
        workspaceId: row.workspace_id,
        csrfToken: row.csrf_token,
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
        lastSeenAt: Number(row.last_seen_at),
        member: { email: row.email, role: row.role as MemberRole },
        workspace: { id: row.workspace_id, name: row.name },
      };
      return session;
    },
    async touchSession(id, lastSeenAt) {
      await db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('id', '=', id).execute();
    },
    async deleteSession(id) {
      await db.deleteFrom('sessions').where('id', '=', id).execute();
    },
    async insertSignInLink(l) {
      await db.insertInto('sign_in_links').values({ token_hash: l.tokenHash, member_id: l.memberId, expires_at: l.expiresAt, used_at: null }).execute();
    },
    async consumeSignInLink(tokenHash, now) {
      // One conditional update: of two concurrent uses, exactly one changes the row.
      const used = await db.updateTable('sign_in_links').set({ used_at: now }).where('token_hash', '=', tokenHash).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
      if (Number(used.numUpdatedRows) === 0) return null;
      const row = await db
        .selectFrom('sign_in_links as l')
        .innerJoin('members as m', 'm.id', 'l.member_id')
        .selectAll('m')
        .where('l.token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toMember(row) : null;
    },
  };
  return queries;
}

function toMember(r: MemberRow): Member {
  return { id: r.id, workspaceId: r.workspace_id, email: r.email, role: r.role as MemberRole, passwordHash: r.password_hash, createdAt: Number(r.created_at) };
}
