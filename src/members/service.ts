/**
 * Members and dashboard sessions (issue 17; spec §8): first-run setup, sign-in by password or by a
 * one-time link, session lookup with expiry, sign-out. Tokens (session cookies, links) are 32 random
 * bytes, handed out once and stored as SHA-256. The API maps the outcomes to HTTP (api/routes/session.ts).
 *
 * Sessions end 12 hours after their last request (idle) and 7 days after sign-in (absolute), whichever
 * comes first. Sign-in links last 24 hours and work once.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { ConflictError, ValidationError } from '../core/errors.ts';
import type { Member, MemberRole, SessionRecord } from '../store/member-port.ts';
import type { Store } from '../store/port.ts';
import { checkPasswordPolicy, dummyHash, hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
import { signInLimiter, type SignInLimiter } from './sign-in-limiter.ts';

export const SESSION_IDLE_MS = 12 * 3_600_000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 3_600_000;
export const SIGN_IN_LINK_TTL_MS = 24 * 3_600_000;
/** A session's last_seen_at is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60_000;
export const ROLES: readonly MemberRole[] = ['viewer', 'editor', 'admin'];

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();
/** No control character (NUL cannot even be stored by PostgreSQL): a 400, never a database error. */
const hasControl = (s: string): boolean => /\p{Cc}/u.test(s);
function memberEmail(email: string): string {
  const address = normaliseEmail(email);
  if (hasControl(address) || !/^[^@\s]+@[^@\s]+$/.test(address) || address.length > 254) throw new ValidationError('invalid_email', 'give an email address such as ann@example.com');
  return address;
}

export interface SignedIn {
  /** The cookie's value: shown to the browser once, stored hashed. */
  token: string;
  session: SessionRecord;
}

export type SignInOutcome = SignedIn | { refused: 'invalid_credentials' } | { refused: 'rate_limited'; retryAfterMs: number };

export interface MemberService {
  /** First run: only while no member exists anywhere; throws ConflictError otherwise. */
  setup(input: { workspaceName: string; email: string; password: string }): Promise<SignedIn>;
  signIn(input: { email: string; password: string; clientAddress: string }): Promise<SignInOutcome>;
  /** Consumes a one-time link and signs its member in; null for an unknown, used or expired link. */
  signInWithLink(token: string): Promise<SignedIn | null>;
  /** The live session of a cookie token, or null (unknown, idle or past its absolute end: deleted). */
  resolve(token: string): Promise<SessionRecord | null>;
  signOut(token: string): Promise<void>;
  /**
   * Sets a member's password (at least 8 characters). A member who has one must give it as `current`;
   * one invited by link, who has none yet, need not. False when `current` is wrong.
   */
  setPassword(workspaceId: string, memberId: string, password: string, current?: string): Promise<boolean>;
  /** Adds the member if absent (keeping an existing one's role) and makes a one-time sign-in link for it. */
  invite(workspaceId: string, email: string, role: MemberRole): Promise<{ member: Member; created: boolean; linkToken: string }>;
}

export function createMemberService(o: { store: Store; clock: Clock; limiter?: SignInLimiter }): MemberService {
  const { store, clock } = o;
  const limiter = o.limiter ?? signInLimiter(clock);
  const memberId = (): string => `mb_${randomBytes(8).toString('hex')}`;

  async function startSession(member: Member): Promise<SignedIn> {
    const token = newToken();
    const now = clock.now();
    const id = sha256(token);
    await store.insertSession({ id, memberId: member.id, workspaceId: member.workspaceId, csrfToken: newToken(), expiresAt: now + SESSION_ABSOLUTE_MS }, now);
    const session = await store.getSession(id);
    if (!session) throw new Error('a session just written cannot be read back');
    return { token, session };
  }

  return {
    async setup({ workspaceName, email, password }) {
      checkPasswordPolicy(password);
      const address = memberEmail(email);
      // Closed for good once a member exists: answer before the slow hash (checked again under the lock).
      if ((await store.countMembers()) > 0) throw new ConflictError('setup_done', 'setup is done: a member exists already; sign in instead');
      const passwordHash = await hashPassword(password);
      // One setup at a time across processes (PostgreSQL advisory lock; SQLite serialises transactions).
      const lead = await store.tryLead('cohort/first-run-setup');
      if (!lead) throw new ConflictError('setup_in_progress', 'another first-run setup is in progress');
      try {
        const member = await store.transaction(async (tx) => {
          if ((await tx.countMembers()) > 0) throw new ConflictError('setup_done', 'setup is done: a member exists already; sign in instead');
          const now = clock.now();
          // Workspaces made on the command line before any member: the admin joins the oldest one
          // (its name is left as it is); otherwise setup makes the first workspace.
          const workspace = (await tx.firstWorkspace()) ?? (await tx.createWorkspace({ id: `ws_${randomBytes(8).toString('hex')}`, name: workspaceName }, now));
          return (await tx.ensureMember({ id: memberId(), workspaceId: workspace.id, email: address, role: 'admin', passwordHash }, now)).member;
        });
        return await startSession(member);
      } finally {
        await lead.release();
      }
    },

    async signIn({ email, password, clientAddress }) {
      const address = normaliseEmail(email);
      const keys = [`email:${address}`, `ip:${clientAddress}`];
      const wait = limiter.retryAfter(keys);
      if (wait > 0) return { refused: 'rate_limited', retryAfterMs: wait };
      // An email may be a member of several workspaces: the oldest membership with a password signs in.
      const member = hasControl(address) ? undefined : (await store.findMembersByEmail(address)).find((m) => m.passwordHash !== null);
      // Unknown email, no password yet, or an absurd password: the same work and the same answer as a wrong one.
      const candidate = password.length <= MAX_PASSWORD_LENGTH ? password : '';
      const ok = await verifyPassword(candidate, member?.passwordHash ?? (await dummyHash()));
      if (!ok || !member || candidate !== password) {
        limiter.failed(keys);
        return { refused: 'invalid_credentials' };
      }
      limiter.succeeded([`email:${address}`]);
      return startSession(member);
    },

    async signInWithLink(token) {
      const member = await store.consumeSignInLink(sha256(token), clock.now());
      return member ? startSession(member) : null;
    },

    async resolve(token) {
      const id = sha256(token);
      const session = await store.getSession(id);
      if (!session) return null;
      const now = clock.now();
      if (now >= session.expiresAt || now - session.lastSeenAt >= SESSION_IDLE_MS) {
        await store.deleteSession(id);
        return null;
      }
      if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await store.touchSession(id, now);
      return session;
    },

    async signOut(token) {
      await store.deleteSession(sha256(token));
    },

    async setPassword(workspaceId, memberId, password, current) {
      checkPasswordPolicy(password);
      const member = await store.getMember(workspaceId, memberId);
      if (!member) return false;
      if (member.passwordHash !== null && !(typeof current === 'string' && current.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(current, member.passwordHash)))) return false;
      return store.setMemberPassword(workspaceId, memberId, await hashPassword(password));
    },

    async invite(workspaceId, email, role) {
      const now = clock.now();
      const { member, created } = await store.ensureMember({ id: memberId(), workspaceId, email: memberEmail(email), role, passwordHash: null }, now);
      const linkToken = newToken();
      await store.insertSignInLink({ tokenHash: sha256(linkToken), memberId: member.id, expiresAt: now + SIGN_IN_LINK_TTL_MS });
      return { member, created, linkToken };
    },
  };
}
