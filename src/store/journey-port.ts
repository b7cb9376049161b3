/**
 * The journey half of the store port: entries (a user's place in a canvas), launch jobs (scheduled
 * entry), sync items (audience_sync outcomes) and step counts (metrics). See port.ts for the rest.
 */
import type { SyncField } from '../core/canvas.ts';
import type { DigestTable, HashedRow } from '../core/digest-rows.ts';
import type { Json } from './port.ts';

/** `failed`: the entry could not go on (a template past its caps, a value the database refuses…); it ended where it was, with a reason. */
export type EntryStatus = 'active' | 'exited' | 'failed';

export interface NewEntry {
  workspaceId: string;
  canvasId: string;
  version: number;
  profileId: number;
  externalId: string;
  stepId: string;
  context: Record<string, Json> | null;
  dispatchId: string | null;
  /**
   * Where the user already is when the row is written (a launch runs new users through their first
   * steps before inserting them: engine/launcher.ts). Absent: active at `stepId`, due now.
   */
  state?: Omit<EntryUpdate, 'id'>;
}

export interface Entry {
  id: number;
  workspaceId: string;
  canvasId: string;
  version: number;
  profileId: number;
  externalId: string;
  stepId: string | null;
  status: EntryStatus;
  dueAt: number | null;
  stepEnteredAt: number;
  enteredAt: number;
  exitedAt: number | null;
  exitRequested: boolean;
  context: Record<string, Json> | null;
  dispatchId: string | null;
}

/**
 * Where an entry goes after a worker ran it. Active with `dueAt` null: parked at a webhook step until
 * its call ends (the webhook sender moves it on). `failureReason` only with status failed.
 */
export interface EntryUpdate {
  id: number;
  stepId: string | null;
  status: EntryStatus;
  dueAt: number | null;
  stepEnteredAt: number;
  exitedAt: number | null;
  failureReason?: string | null;
}

export interface PriorEntry {
  profileId: number;
  active: boolean;
  lastEnteredAt: number;
}

export interface LaunchJob {
  id: number;
  workspaceId: string;
  canvasId: string;
  version: number;
  runAt: number;
  /** Profiles with id ≤ cursor were considered. */
  cursor: number;
  /** The last profile id the job covers; null: no bound (the job is the launch's last or only part). */
  upto: number | null;
  entered: number;
  leaseId: string;
}

export type SyncOutcome = 'pending' | 'synced' | 'not_synced' | 'errored';

export interface NewSyncItem {
  workspaceId: string;
  canvasId: string;
  stepId: string;
  entryId: number;
  profileId: number;
  advertiserId: string | null;
  audienceId: string | null;
  action: 'add' | 'remove';
  /** The step's fields in order: the id_schema the item is sent with. */
  fields: readonly SyncField[];
  /** The user's digests (pending), or null (not synced). */
  hashes: HashedRow | null;
  outcome: 'pending' | 'not_synced';
  reason: string | null;
}

/** What the users of one sync group share: an item without its user. */
export type SyncItemShared = Omit<NewSyncItem, 'entryId' | 'profileId' | 'hashes'>;

/**
 * Users who reached one step with the same result, written without an object per user: a bulk
 * launch's chunk (engine/launcher.ts). Member i is (entryIds[i], profileIds[i]); its digests are row
 * `hashes.rows[i]` of `hashes.table`, or it has none (`hashes` null: not synced).
 */
export interface NewSyncGroup {
  shared: SyncItemShared;
  entryIds: readonly number[];
  profileIds: readonly number[];
  hashes: { table: DigestTable; rows: readonly number[] } | null;
}

export interface StepCountDelta {
  workspaceId: string;
  canvasId: string;
  stepId: string;
  metric: string;
  reason?: string;
  minute: number;
  count: number;
}

export interface StepCountRow {
  stepId: string;
  metric: string;
  reason: string;
  minute: number;
  count: number;
}

export interface WebhookDelivery {
  workspaceId: string;
  canvasId: string;
  stepId: string;
  entryId: number;
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
  attempts: number;
}

export interface JourneyQueries {
  /** Set-based insert; skips a user already active in the canvas (a partial unique index decides). Returns the ids of the rows inserted, in row order. Needs a transaction. */
  insertEntries(rows: readonly NewEntry[], now: number): Promise<{ id: number; profileId: number }[]>;
  /**
   * One entry per given profile of the workspace, all in one `state`, written from the profiles table
   * (INSERT … SELECT: nothing bound per user). For users who may enter (enter.ts) and who end the
   * chunk in the same state. `externalIds` (each profile's, when the caller read them) spare PostgreSQL
   * a probe of profiles per user. A profile deleted meanwhile gets none. Returns (id, profile) in profile id
   * order. Needs a transaction.
   */
  insertEntriesFromProfiles(p: { workspaceId: string; canvasId: string; version: number; profileIds: readonly number[]; externalIds?: readonly string[]; state: Omit<EntryUpdate, 'id'> }, now: number): Promise<{ id: number; profileId: number }[]>;
  /** Each given profile's last entry into the canvas, if any. Set-based. */
  priorEntries(canvasId: string, profileIds: readonly number[]): Promise<PriorEntry[]>;
  /** Claims up to `limit` due active entries, oldest due first, under a fresh lease. Postgres: SKIP LOCKED. */
  claimDueEntries(q: { now: number; limit: number; leaseMs: number; leaseId: string }): Promise<Entry[]>;
  /** Applies updates fenced by the lease: rows whose lease moved on are left alone. Returns the ids updated. Needs a transaction. */
  settleEntries(leaseId: string, updates: readonly EntryUpdate[]): Promise<Set<number>>;
  /** Marks active entries of these profiles in these canvases to exit when their current step ends. Set-based. */
  requestExit(workspaceId: string, canvasIds: readonly string[], externalIds: readonly string[]): Promise<number>;

  /** Row counts for a canvas: entries, distinct users, and exited entries (checks and reports). One statement. */
  countEntries(workspaceId: string, canvasId: string): Promise<{ entries: number; users: number; exited: number }>;

  insertLaunchJob(job: { workspaceId: string; canvasId: string; version: number; runAt: number }): Promise<void>;
  claimDueLaunchJob(q: { now: number; leaseMs: number; leaseId: string }): Promise<LaunchJob | null>;
  /** Moves a claimed job's cursor (fenced by its lease); `done` finishes it. Returns false if the lease was lost. */
  /**
   * Splits a claimed job that has not started into parts at `bounds` (ascending profile ids, each
   * above its cursor): the job keeps (cursor, bounds[0]], a new pending job each next range, the last
   * one unbounded. False when the lease was lost (nothing written).
   */
  splitLaunchJob(id: number, leaseId: string, bounds: readonly number[]): Promise<boolean>;
  advanceLaunchJob(id: number, leaseId: string, p: { cursor: number; entered: number; done: boolean; leaseExpiresAt: number }): Promise<boolean>;

  /** Set-based; pending items join their sender queue (created on first use). Needs a transaction. */
  insertSyncItems(rows: readonly NewSyncItem[], now: number): Promise<void>;
  /** `insertSyncItems` for users given as groups (a bulk launch's chunk): nothing per user but ids. Needs a transaction. */
  insertSyncGroups(groups: readonly NewSyncGroup[], now: number): Promise<void>;
  /** Upsert: count = count + delta, one statement per 500 deltas. Call in the transaction that changes what is counted. */
  addStepCounts(deltas: readonly StepCountDelta[]): Promise<void>;
  stepCounts(workspaceId: string, canvasId: string): Promise<StepCountRow[]>;
  insertWebhookDeliveries(rows: readonly WebhookDelivery[], now: number): Promise<void>;
}
