/**
 * Members, dashboard sessions and one-time sign-in links (migration 0013; spec §8). Tokens are never
 * stored: sessions and links are found by the SHA-256 of theirs. Emails are lowercased by the caller.
 */
import type { Workspace } from './port.ts';

export type MemberRole = 'admin' | 'editor' | 'viewer';

export interface Member {
  id: string;
  workspaceId: string;
  email: string;
  role: MemberRole;
  passwordHash: string | null;
  createdAt: number;
}

/** What a guarded member change did: the member as it is now (or was, when removed), or why nothing changed. */
export type MemberChange = { ok: true; member: Member } | { ok: false; reason: 'not_found' | 'last_admin' };

export interface NewSession {
  /** SHA-256 of the cookie token. */
  id: string;
  memberId: string;
  workspaceId: string;
  csrfToken: string;
  expiresAt: number;
}

/** A live session with what authorisation needs: its member's role and email, and its workspace. */
export interface SessionRecord extends NewSession {
  createdAt: number;
  lastSeenAt: number;
  member: { email: string; role: MemberRole };
  workspace: { id: string; name: string };
}

export interface MemberQueries {
  /** Members in all workspaces (first-run setup is open only while this is 0). */
  countMembers(): Promise<number>;
  /** The oldest workspace, or null when there is none. */
  firstWorkspace(): Promise<Workspace | null>;
  /** Inserts the member unless (workspace, email) exists; returns the member either way. */
  ensureMember(m: { id: string; workspaceId: string; email: string; role: MemberRole; passwordHash: string | null }, now: number): Promise<{ member: Member; created: boolean }>;
  /** The members with this email, oldest first, in every workspace (sign-in is by email). */
  findMembersByEmail(email: string): Promise<Member[]>;
  getMember(workspaceId: string, id: string): Promise<Member | null>;
  /** The workspace's members, oldest first. */
  listMembers(workspaceId: string): Promise<Member[]>;
  /** Removes the member with its sessions and links; false when it is not a member of this workspace. Unguarded: see `removeMember`. */
  deleteMember(workspaceId: string, id: string): Promise<boolean>;
  /**
   * Removes the member unless it is the workspace's last admin. Needs a transaction: it locks the
   * workspace's row (PostgreSQL) or holds the write lock (SQLite, BEGIN IMMEDIATE) before it counts the
   * admins, so two admins removing or demoting each other at once leave one admin.
   */
  removeMember(workspaceId: string, id: string): Promise<MemberChange>;
  /** Gives the member this role unless that would demote the last admin. Needs a transaction; locks as `removeMember`. */
  changeMemberRole(workspaceId: string, id: string, role: MemberRole): Promise<MemberChange>;
  /** Sets the password hash; false when the member is not of this workspace. */
  setMemberPassword(workspaceId: string, id: string, passwordHash: string): Promise<boolean>;
  insertSession(s: NewSession, now: number): Promise<void>;
  /** The session by id (hash) with its member and workspace, or null; expiry is the caller's decision. */
  getSession(id: string): Promise<SessionRecord | null>;
  touchSession(id: string, lastSeenAt: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  insertSignInLink(l: { tokenHash: string; memberId: string; expiresAt: number }): Promise<void>;
  /** Marks the link used if it is unused and unexpired at `now`, in one statement; returns its member, or null. */
  consumeSignInLink(tokenHash: string, now: number): Promise<Member | null>;
}
