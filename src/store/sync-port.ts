/**
 * The sender's half of the store port (sync/): queues of pending sync batches, read in (due_at, id)
 * order, and settles that write their counts in the same transaction. A batch is one step's users
 * written together (a launch chunk, a worker batch); its outcome is every member's unless a member
 * has its own (a superseded user). Reads take no lease: one sender runs per TikTok app
 * (sync/leader.ts), it keeps its own in-flight batches out of its next read with a keyset cursor, and
 * a settle changes only batches still pending, so a batch sent twice (a crash between the request and
 * its settle, or a leader change) is counted once. Adds and removes are idempotent at TikTok.
 * Intents are ordered by `seq` (migration 0010): for one user and one audience the latest one wins.
 */
import type { SyncField } from '../core/canvas.ts';
import type { DigestRows } from '../core/digest-rows.ts';

export type { SyncField };

export interface SyncQueue {
  id: number;
  workspaceId: string;
  advertiserId: string;
  audienceId: string;
  action: 'add' | 'remove';
  fields: SyncField[];
}

export interface QueueHead {
  /** When the queue's oldest claimable item became due, and when it was created (entered the step). */
  dueAt: number;
  createdAt: number;
}

/** A position in a queue's (due_at, id) order: reads return items after it. */
export interface QueueCursor {
  dueAt: number;
  id: number;
}

/** A user of a claimed batch still to be sent. */
export interface ClaimedUser {
  /** The user's place in its batch. */
  readonly position: number;
  readonly profileId: number;
  /** As hex (made on demand: the sender writes requests from `ClaimedBatch.payload`'s bytes). */
  readonly hashes: Partial<Record<SyncField, string>>;
}

/** A batch's members and their hashed identifiers, read from its stored payload. */
export interface SyncPayloadReader {
  readonly count: number;
  /** The fields the batch sends, in payload order. */
  readonly fields: readonly SyncField[];
  profileId(position: number): number;
  hashesOf(position: number): Partial<Record<SyncField, string>>;
  /** The digests of the members at `positions`, one row each, in `fields` order (a request's rows). */
  digestRows(fields: readonly SyncField[], positions: readonly number[]): DigestRows;
}

export interface ClaimedBatch {
  id: number;
  dueAt: number;
  canvasId: string;
  stepId: string;
  createdAt: number;
  /** When its users' intents entered, relative to others' (migration 0010): kept by splits, retries and re-sends. */
  seq: number;
  failedAttempts: number;
  /** Its members without an outcome of their own, in order. */
  users: ClaimedUser[];
  payload: SyncPayloadReader;
}

/** A read of a queue: whole batches, and the first batch that did not fit in what room was left. */
export interface DueBatches {
  batches: ClaimedBatch[];
  /** Split it at `room` (`splitSyncBatch`) to fill the request; absent when the read is full or the queue has no more. */
  overflow?: { id: number; room: number };
}

/** A sendable sync intent of a user for an audience (a member of a batch that had a queue), as the sender compares them. */
export interface SyncIntent {
  profileId: number;
  seq: number;
  batchId: number;
  position: number;
  /** Its request was acknowledged (the batch is synced and the member has no outcome of its own). */
  synced: boolean;
}

/** How many items of one (canvas, step) changed, for its counts. */
export interface SettledTally {
  workspaceId: string;
  canvasId: string;
  stepId: string;
  count: number;
}

/** Sums `count` of `items` per (workspace, canvas, step): what a settle adds to the steps' counts. Steps with none are left out. */
export function tallyBySteps<T>(items: readonly T[], keys: (t: T) => { workspaceId: string; canvasId: string; stepId: string }, count: (t: T) => number): SettledTally[] {
  const byKey = new Map<string, SettledTally>();
  for (const item of items) {
    const n = count(item);
    if (n === 0) continue;
    const k = keys(item);
    const key = `${k.workspaceId}|${k.canvasId}|${k.stepId}`;
    const t = byKey.get(key);
    if (t) t.count += n;
    else byKey.set(key, { ...k, count: n });
  }
  return [...byKey.values()];
}

export interface SyncQueries {
  /** Every queue (a handful per audience). One statement. */
  listSyncQueues(): Promise<SyncQueue[]>;
  /** The queue's oldest due batch after `after`, or null. One indexed lookup (sync_batches_queue_idx). */
  syncQueueHead(queueId: number, now: number, after?: QueueCursor): Promise<QueueHead | null>;
  /** Due batches of a queue after `after`, oldest first, whole, with at most `limit` users in all. Reads only. */
  readDueSyncBatches(q: { queueId: number; now: number; limit: number; after?: QueueCursor }): Promise<DueBatches>;
  /** Splits a pending batch: the first `keep` members stay, the rest become a new batch behind every existing one. Needs a transaction. */
  splitSyncBatch(batchId: number, keep: number): Promise<void>;
  /** Final outcome for the batches still pending; members with their own outcome keep it. Returns the batches that changed and how many members each settled (the caller knows their steps). Needs a transaction. */
  settleSyncBatches(batchIds: readonly number[], outcome: 'synced' | 'errored' | 'not_synced', reason: string | null, now: number): Promise<{ id: number; count: number }[]>;
  /** Gives members of a pending batch an outcome of their own (superseded users); they are no longer sent. Returns how many changed. Needs a transaction. */
  settleSyncMembers(batchId: number, positions: readonly number[], outcome: 'not_synced' | 'errored', reason: string, now: number): Promise<number>;
  /** Puts pending batches back in their queue at `dueAt`, counting a failed attempt when `failed`. Returns how many moved. */
  rescheduleSyncBatches(batchIds: readonly number[], p: { dueAt: number; failed: boolean; lastError: string | null }): Promise<number>;
  /**
   * The `action` intents of `profileIds` for this audience with a seq above `after`, in any state: the
   * members of batches that had a queue (a user without usable fields expresses no intent). Set-based.
   */
  intentsAfter(q: { workspaceId: string; audienceId: string; action: 'add' | 'remove'; profileIds: readonly number[]; after: number }): Promise<SyncIntent[]>;
  /**
   * Sends synced members again (a user's older opposite intent may have landed at TikTok after them):
   * they move to a new pending batch of the same queue, due now, keeping their seq. Members not synced
   * any more are left alone. Returns, per step, how many moved (synced → pending). Needs a transaction.
   */
  resendSyncMembers(members: readonly { batchId: number; position: number }[], now: number): Promise<SettledTally[]>;
  /** Errors every pending item of an audience at once. Returns tallies. Needs a transaction. */
  errorAudienceItems(workspaceId: string, audienceId: string, reason: string, now: number): Promise<SettledTally[]>;
  /**
   * Puts a step's errored items back in their queue with a fresh retry window and no failed attempts:
   * errored batches, and members errored on their own. Keeps their seq. Returns how many per reason.
   * Needs a transaction.
   */
  requeueErroredSyncItems(workspaceId: string, canvasId: string, stepId: string, now: number): Promise<{ reason: string; count: number }[]>;
  /** For a canvas's synced items: milliseconds from the user's entry into the canvas to TikTok's acknowledgement (benchmarks). */
  ackLatencies(workspaceId: string, canvasId: string): Promise<number[]>;
  /** Pending items per audience, for the queue-depth gauge. One statement. */
  pendingByAudience(): Promise<{ workspaceId: string; audienceId: string; count: number }[]>;
  /**
   * Errors pending batches created before `createdBefore` (the retry window), up to `limit` batches,
   * but not those `skip` names (in flight: their answer decides). Returns how many batches it looked
   * at (fewer than `limit`: no more) and the items' tallies by reason.
   */
  errorExpiredSyncBatches(q: { createdBefore: number; now: number; limit: number; reasonFor: (workspaceId: string) => string; skip?: (batchId: number) => boolean }): Promise<{ scanned: number; tallies: (SettledTally & { reason: string })[] }>;
}
