/**
 * The store as engine/, sync/ and api/ see it: domain-shaped, batch-first methods grouped by concern,
 * and explicit transactions. Tables stay private to store/. Every method is scoped by workspace.
 * Guarantees are stated per method: "set-based" means a bounded number of statements per call,
 * whatever the number of rows.
 */
import type { CanvasDefinition, CanvasStatus, SyncField } from '../core/canvas.ts';
import type { IdentifierRows } from '../core/identifier-rows.ts';
import type { AttributeQueries } from './attribute-port.ts';
import type { JourneyQueries } from './journey-port.ts';
import type { MemberQueries } from './member-port.ts';
import type { Leadership } from './locks.ts';
import type { SyncQueries } from './sync-port.ts';
import type { RetentionQueries } from './retention-port.ts';
import type { WebhookOutboxQueries } from './webhook-port.ts';
import type { Dialect } from './migrations.ts';

export type { Dialect, Leadership };
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Workspace {
  id: string;
  name: string;
  defaultCountry: string | null;
  createdAt: number;
}

export interface WorkspaceQueries {
  createWorkspace(w: { id: string; name: string; defaultCountry?: string | null }, now: number): Promise<Workspace>;
  getWorkspace(id: string): Promise<Workspace | null>;
}

/** A workspace API key as it is listed (migration 0014): never the key, never its hash. */
export interface ApiKey {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: number;
  /** When a request last authenticated with it, recorded at most once a minute (api/api-key-auth.ts); null if never. */
  lastUsedAt: number | null;
}

/** Workspace API keys, stored as SHA-256 (api/auth.ts): shown once, by the caller, when made. */
export interface ApiKeyQueries {
  /** Stores only the key's hash. `name` absent: 'API key' (the column's default). One statement. */
  insertApiKey(k: { id: string; workspaceId: string; keyHash: string; name?: string }, now: number): Promise<void>;
  /** The key (by hash) with its workspace and last use, or null: one indexed read, every request (no cache, so a revoke counts at once). */
  findApiKeyByHash(keyHash: string): Promise<{ id: string; workspaceId: string; lastUsedAt: number | null } | null>;
  /** The workspace's keys, newest first. */
  listApiKeys(workspaceId: string): Promise<ApiKey[]>;
  /** Revokes: deletes the key; false when it is not a key of this workspace. One statement. */
  deleteApiKey(workspaceId: string, id: string): Promise<boolean>;
  /** Sets last_used_at to `at` unless it is already as recent (two processes, or a clock behind). One statement. */
  touchApiKey(id: string, at: number): Promise<void>;
}

/** The standard profile attributes (spec §1), stored as columns. */
export const STANDARD_ATTRIBUTES = ['email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled'] as const;
export type StandardAttribute = (typeof STANDARD_ATTRIBUTES)[number];

export interface Profile {
  id: number;
  workspaceId: string;
  externalId: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  language: string | null;
  idfa: string | null;
  gaid: string | null;
  ads_tracking_enabled: boolean | null;
  custom: Record<string, Json>;
  createdAt: number;
  updatedAt: number;
}

/** One object of `/users/track` `attributes`: a value sets, `null` removes, an absent key keeps. */
export interface ProfilePatch {
  externalId: string;
  standard: Partial<{ [K in StandardAttribute]: K extends 'ads_tracking_enabled' ? boolean | null : string | null }>;
  custom: Record<string, Json>;
}

export interface NewEvent {
  externalId: string;
  name: string;
  time: number;
  properties: Record<string, Json>;
}

export interface ProfileQueries {
  /** Set-based upsert of many profiles (a few statements per 1,000); later patches for one id win. Needs a transaction. */
  upsertProfiles(workspaceId: string, patches: readonly ProfilePatch[], now: number): Promise<Profile[]>;
  getProfile(workspaceId: string, externalId: string): Promise<Profile | null>;
  /** Set-based. Missing external ids are simply absent from the answer. */
  getProfilesByExternalIds(workspaceId: string, externalIds: readonly string[]): Promise<Profile[]>;
  /** Set-based. Missing ids are absent from the answer. */
  getProfilesByIds(workspaceId: string, ids: readonly number[]): Promise<Profile[]>;
  /** Profiles with afterId < id ≤ upTo (null or absent: no bound) in id order: the cursor for scheduled launches and exports. */
  listProfilesAfter(workspaceId: string, afterId: number, limit: number, upTo?: number | null): Promise<Profile[]>;
  /**
   * `listProfilesAfter` with only what hashing reads, as the database writes it (core/identifier-rows.ts):
   * a launch whose users need no whole profile (launcher.ts) builds nothing per user. One statement.
   */
  listIdentifierRowsAfter(workspaceId: string, afterId: number, limit: number, upTo?: number | null): Promise<IdentifierRows>;
  /** The workspace's smallest and largest profile id (null: none), for splitting a launch. */
  profileSpan(workspaceId: string): Promise<{ min: number; max: number } | null>;
  /** Set-based. Events of unknown users are stored too (the profile is created by the caller first). */
  insertEvents(workspaceId: string, events: readonly NewEvent[], now: number): Promise<void>;
  /** Distinct names of the workspace's tracked events, in name order, at most `limit`: one index probe per name (migration 0017), never a scan of the events. */
  listEventNames(workspaceId: string, limit: number): Promise<string[]>;
}

/** One canvas entry of a profile, as `GET /api/users/{external_id}` shows it. */
export interface ProfileEntry {
  canvasId: string;
  version: number;
  stepId: string | null;
  status: string;
  enteredAt: number;
  exitedAt: number | null;
  /** Why a `failed` entry failed (a snake_case code, e.g. `template_too_deep`); null otherwise. */
  failureReason: string | null;
  /** The canvas's name now (null if the canvas was deleted). */
  canvasName: string | null;
}

/** One sync item of a profile; of its hashed identifiers only a prefix, and only while the payload exists. */
export interface ProfileSyncItem extends ProfileSyncAttempts {
  canvasId: string;
  stepId: string;
  advertiserId: string | null;
  audienceId: string | null;
  action: string;
  outcome: string;
  reason: string | null;
  createdAt: number;
  settledAt: number | null;
}

/** How sending a sync item went so far, and which identifiers it carries (queries/user-history.ts). */
export interface ProfileSyncAttempts {
  /** Requests that failed and were retried. */
  failedAttempts: number;
  /** The last failure's reason while still pending. */
  lastError: string | null;
  /** When a pending item is next due to be sent. */
  dueAt: number | null;
  /** The identifier fields sent for this user (migration 0019); null for items written before it. */
  fieldsSent: SyncField[] | null;
  /** The first 8 hex digits of each hash while the item's payload exists (pending items); null once it is deleted. */
  hashPrefixes: Partial<Record<SyncField, string>> | null;
}

/** One of a profile's recent events. */
export interface ProfileEvent {
  name: string;
  time: number;
  properties: Record<string, Json>;
}

/** A profile's history for the API (queries/user-history.ts). */
export interface UserHistoryQueries {
  /** The profile's latest events by time, newest first, at most `limit` (capped at 50). One indexed statement (events_profile_idx). */
  listEventsOfProfile(workspaceId: string, externalId: string, limit?: number): Promise<ProfileEvent[]>;
  /** The profile's latest canvas entries, newest first, at most `limit` (capped at 100). One indexed statement. */
  listEntriesOfProfile(workspaceId: string, externalId: string, limit?: number): Promise<ProfileEntry[]>;
  /** The profile's latest sync items, newest first, at most `limit` (capped at 100). One indexed statement. */
  listSyncItemsOfProfile(workspaceId: string, externalId: string, limit?: number): Promise<ProfileSyncItem[]>;
}

/** A canvas with its latest version's definition (queries/canvases.ts). */
export interface CanvasRecord {
  id: string;
  workspaceId: string;
  status: CanvasStatus;
  /** The latest version: the one new entries get. Entries keep the version they entered with. */
  version: number;
  definition: CanvasDefinition;
  createdAt: number;
  updatedAt: number;
  /** The first launch; kept across stop and resume. */
  launchedAt: number | null;
}

/** Where a canvas sits in the newest-first order of a workspace's canvases. */
export interface CanvasPosition {
  createdAt: number;
  id: string;
}

export interface CanvasVersionRef {
  canvasId: string;
  version: number;
}

export interface CanvasVersionRecord extends CanvasVersionRef {
  definition: CanvasDefinition;
  createdAt: number;
}

/** One row of a canvas's version list (GET /api/canvases/{id}/versions). */
export interface CanvasVersionSummary {
  version: number;
  savedAt: number;
  /** The member's email or "API key <name>"; null when unknown (saved before that was recorded). */
  savedBy: string | null;
  /** Users in the canvas right now (active entries) on this version. */
  usersIn: number;
}

/** A launch job as the canvas's owner sees it (the runner's view is journey-port.ts `LaunchJob`). `status`: pending, done or cancelled. */
export interface CanvasLaunchJob {
  id: number;
  version: number;
  runAt: number;
  status: string;
  cursor: number;
  entered: number;
}

/** Canvases and their versions (queries/canvases.ts). Launch jobs are inserted with `insertLaunchJob` (journey-port.ts). */
export interface CanvasQueries {
  /** A draft at version 1, with its canvas_versions row. Needs a transaction (two statements). */
  insertCanvas(c: { id: string; workspaceId: string; definition: CanvasDefinition; savedBy?: string }, now: number): Promise<CanvasRecord>;
  /** The canvas and its latest definition, or null. `lock` takes the row (Postgres FOR UPDATE) for a read-then-write transaction. One statement. */
  getCanvas(workspaceId: string, id: string, opts?: { lock?: boolean }): Promise<CanvasRecord | null>;
  /** Newest first, optionally of one status. One statement. */
  listCanvases(workspaceId: string, filter?: { status?: CanvasStatus }): Promise<CanvasRecord[]>;
  /**
   * At most `limit` canvases, newest first (created_at, then id, both descending), optionally of one
   * status, strictly after `after` in that order. A range read of index canvases_list_idx (migration
   * 0011). One statement.
   */
  listCanvasPage(workspaceId: string, page: { status?: CanvasStatus; limit: number; after?: CanvasPosition }): Promise<CanvasRecord[]>;
  /** Replaces the latest version's definition in place (a draft: nobody has entered it). False if no such canvas. Needs a transaction. */
  replaceCanvasDefinition(workspaceId: string, id: string, definition: CanvasDefinition, now: number, savedBy?: string): Promise<boolean>;
  /** Writes the definition as the next version and makes it the latest. Returns that version, or null if no such canvas. Needs a transaction. */
  insertCanvasVersion(workspaceId: string, id: string, definition: CanvasDefinition, now: number, savedBy?: string): Promise<number | null>;
  /**
   * The canvas's versions, newest first, each with who saved it and how many users are in the canvas
   * on it now. One statement: the versions joined with the active entries grouped by version (read
   * through the partial index entries_active_uq). Empty when the canvas is not in the workspace.
   */
  listCanvasVersions(workspaceId: string, canvasId: string): Promise<CanvasVersionSummary[]>;
  /** Compare-and-set: moves to `to` only from one of `from`, writing `launchedAt` when given. True if it moved. One statement. */
  setCanvasStatus(workspaceId: string, id: string, change: { from: readonly CanvasStatus[]; to: CanvasStatus; launchedAt?: number }, now: number): Promise<boolean>;
  /** Deletes the canvas and its versions if its status is one of `from`. True if deleted. Needs a transaction. */
  deleteCanvas(workspaceId: string, id: string, guard: { from: readonly CanvasStatus[] }): Promise<boolean>;
  /** One version's definition, or null. One statement. */
  getCanvasVersion(workspaceId: string, canvasId: string, version: number): Promise<CanvasVersionRecord | null>;
  /** Set-based (one statement per 500 refs); missing versions are absent from the answer. */
  getCanvasVersions(workspaceId: string, refs: readonly CanvasVersionRef[]): Promise<CanvasVersionRecord[]>;
  /** Active canvases whose latest version enters on one of these events (index canvases_entry_idx). Set-based. */
  listActiveCanvasesByEntryEvent(workspaceId: string, eventNames: readonly string[]): Promise<CanvasRecord[]>;
  /** The canvas's launch jobs, oldest first. One statement. */
  listCanvasLaunchJobs(workspaceId: string, canvasId: string): Promise<CanvasLaunchJob[]>;
  /**
   * Marks the canvas's pending jobs that have not started (cursor 0, nothing entered, no live lease)
   * `cancelled`, clearing their lease so a stalled runner cannot revive them. Returns how many. One statement.
   */
  cancelUnstartedLaunchJobs(workspaceId: string, canvasId: string, now: number): Promise<number>;
}

export type TikTokConnectionStatus = 'connected' | 'invalid_token' | 'disconnected';

/** A workspace's TikTok connection row. The token stays encrypted here; only sync/connections.ts decrypts it. */
export interface TikTokConnectionRecord {
  workspaceId: string;
  /** The TikTok app the token was issued to. */
  appId: string;
  status: TikTokConnectionStatus;
  /** `v2:…` (or `v1:…` from before issue 16; sync/token-cipher.ts), or null once disconnected. */
  encryptedToken: string | null;
  /** Why the status is what it is, e.g. `token_revoked`; null while connected. */
  statusReason: string | null;
  connectedAt: number | null;
  updatedAt: number;
}

export interface TikTokAdvertiserRecord {
  advertiserId: string;
  advertiserName: string;
  selected: boolean;
}

/** Who started an OAuth connect: a dashboard browser session, or a script with an API key (spec §9 OAuth). */
export type OAuthStarter = 'session' | 'api_key';

/** The TikTok connection, its ad accounts and OAuth states (queries/tiktok-connections.ts). Every method is scoped by workspace but the state lookup, which finds it. */
export interface TikTokConnectionQueries {
  /** The connection, or null if the workspace never connected. One statement. */
  getTikTokConnection(workspaceId: string): Promise<TikTokConnectionRecord | null>;
  /** Upsert: `connected` with this token (replacing any earlier one), reason cleared. One statement; idempotent. */
  saveTikTokConnection(c: { workspaceId: string; appId: string; encryptedToken: string }, now: number): Promise<void>;
  /**
   * `invalid_token` with a reason, keeping the token so that a reconnect replaces it. Only from
   * `connected`, and only while the stored token is still `fence` when one is given (a stale failure
   * never invalidates a newer token). True if it changed. One statement.
   */
  markTikTokTokenInvalid(workspaceId: string, reason: string, now: number, fence?: { encryptedToken: string }): Promise<boolean>;
  /**
   * Replaces the stored token's ciphertext by `to` (the same token sealed again, sync/token-cipher.ts)
   * while it is still `from`, whatever the status. True if it changed. One statement.
   */
  resealTikTokToken(workspaceId: string, from: string, to: string): Promise<boolean>;
  /** `disconnected`, the token erased and the ad accounts forgotten. Needs a transaction (two statements); idempotent. */
  disconnectTikTok(workspaceId: string, reason: string, now: number): Promise<void>;
  /** The connection's ad accounts, by id. One statement. */
  listTikTokAdvertisers(workspaceId: string): Promise<TikTokAdvertiserRecord[]>;
  /** Makes these the connection's ad accounts (others are forgotten). Needs a transaction; set-based (two statements). */
  replaceTikTokAdvertisers(workspaceId: string, rows: readonly TikTokAdvertiserRecord[]): Promise<void>;
  /** `selected` becomes (advertiser_id ∈ ids) for each of the connection's ad accounts. One statement; idempotent. */
  selectTikTokAdvertisers(workspaceId: string, advertiserIds: readonly string[]): Promise<void>;
  /** Stores a state's SHA-256, bound to the workspace until `expiresAt`, with who started it and the SHA-256 of its browser cookie's nonce. One statement. */
  insertOAuthState(s: { stateHash: string; workspaceId: string; expiresAt: number; startedBy: OAuthStarter; browserHash: string }): Promise<void>;
  /**
   * Atomically single-use: the state's workspace if it was unused and unexpired and the browser matches
   * (it is now used), else null and nothing changes. The browser matches when the presented cookie's
   * hash is the state's, or, with no cookie presented, when an API key started it. One statement.
   */
  consumeOAuthState(stateHash: string, now: number, presentedBrowserHash: string | null): Promise<string | null>;
  /** Deletes up to `limit` states that expired before `now`. One statement; returns how many. */
  pruneOAuthStates(now: number, limit: number): Promise<number>;
}

export interface Queries extends WorkspaceQueries, ApiKeyQueries, ProfileQueries, JourneyQueries, UserHistoryQueries, CanvasQueries, SyncQueries, TikTokConnectionQueries, WebhookOutboxQueries, MemberQueries, RetentionQueries, AttributeQueries {}

export interface Store extends Queries {
  readonly dialect: Dialect;
  /** Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE; Postgres: READ COMMITTED) and commits if it resolves. */
  transaction<T>(fn: (tx: Queries) => Promise<T>): Promise<T>;
  /** Leadership across processes for `key` (Postgres advisory lock; SQLite always leads), or null when another process leads. */
  tryLead(key: string): Promise<Leadership | null>;
  /** For GET /readyz: the database answers a query, and every migration this code knows is applied. Never throws. */
  readiness(): Promise<{ database: 'ok' | string; migrations: 'ok' | string }>;
  close(): Promise<void>;
}
