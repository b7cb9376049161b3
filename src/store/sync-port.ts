/**
 * The sender's half of the store port (sync/): queues of pending sync items, read in (due_at, id)
 * order, and settles that write their counts in the same transaction. Reads take no lease: one
 * sender runs per TikTok app (sync/leader.ts), it keeps its own in-flight items out of its next read
 * with a keyset cursor, and a settle changes only items still pending, so an item sent twice (a crash
 * between the request and its settle, or a leader change) is counted once. Adds and removes are
 * idempotent at TikTok.
 */
export type SyncField = 'email' | 'phone' | 'idfa' | 'gaid';

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

export interface ClaimedSyncItem {
  id: number;
  dueAt: number;
  canvasId: string;
  stepId: string;
  profileId: number;
  createdAt: number;
  failedAttempts: number;
  hashes: Partial<Record<SyncField, string>>;
}

/** How many items of one (canvas, step) changed, for its counts. */
export interface SettledTally {
  workspaceId: string;
  canvasId: string;
  stepId: string;
  count: number;
}

/** Counts `items` per (workspace, canvas, step): what a settle adds to the steps' counts. */
export function tallyBySteps<T>(items: readonly T[], keys: (t: T) => { workspaceId: string; canvasId: string; stepId: string }): SettledTally[] {
  const byKey = new Map<string, SettledTally>();
  for (const item of items) {
    const k = keys(item);
    const key = `${k.workspaceId}|${k.canvasId}|${k.stepId}`;
    const t = byKey.get(key);
    if (t) t.count++;
    else byKey.set(key, { ...k, count: 1 });
  }
  return [...byKey.values()];
}

export interface SyncQueries {
  /** Every queue (a handful per audience). One statement. */
  listSyncQueues(): Promise<SyncQueue[]>;
  /** The queue's oldest due item after `after`, or null. One indexed lookup (sync_items_queue_idx). */
  syncQueueHead(queueId: number, now: number, after?: QueueCursor): Promise<QueueHead | null>;
  /** Up to `limit` due items of a queue after `after`, oldest first. Reads only. */
  readDueSyncItems(q: { queueId: number; now: number; limit: number; after?: QueueCursor }): Promise<ClaimedSyncItem[]>;
  /** Final outcome for the items still pending. Returns the ids that changed (the caller knows their steps). Needs a transaction. */
  settleSyncItems(ids: readonly number[], outcome: 'synced' | 'errored' | 'not_synced', reason: string | null, now: number): Promise<number[]>;
  /** Puts pending items back in their queue at `dueAt`, counting a failed attempt when `failed`. Returns how many moved. */
  rescheduleSyncItems(ids: readonly number[], p: { dueAt: number; failed: boolean; lastError: string | null }): Promise<number>;
  /** For profiles with a pending item of the other action for this audience created at or after `after`: the latest such creation time. Set-based. */
  laterOppositeItems(q: { workspaceId: string; audienceId: string; action: 'add' | 'remove'; profileIds: readonly number[]; after: number }): Promise<Map<number, number>>;
  /** Errors every pending item of an audience at once. Returns tallies. Needs a transaction. */
  errorAudienceItems(workspaceId: string, audienceId: string, reason: string, now: number): Promise<SettledTally[]>;
  /** Puts a step's errored items back in the queue with a fresh retry window. Returns how many per reason. Needs a transaction. */
  requeueErroredSyncItems(workspaceId: string, canvasId: string, stepId: string, now: number): Promise<{ reason: string; count: number }[]>;
  /** For a canvas's synced items: milliseconds from the user's entry into the canvas to TikTok's acknowledgement (benchmarks). */
  ackLatencies(workspaceId: string, canvasId: string): Promise<number[]>;
  /** Pending items per audience, for the queue-depth gauge. One statement. */
  pendingByAudience(): Promise<{ workspaceId: string; audienceId: string; count: number }[]>;
  /** Errors pending items created before `createdBefore` (the retry window), in bounded batches, but not those `skip` names (in flight: their answer decides). Returns tallies by reason. */
  errorExpiredSyncItems(q: { createdBefore: number; now: number; limit: number; reasonFor: (workspaceId: string) => string; skip?: (id: number) => boolean }): Promise<(SettledTally & { reason: string })[]>;
}
