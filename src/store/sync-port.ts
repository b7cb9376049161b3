/**
 * The sender's half of the store port (sync/): queues of pending sync items, leased claims, and
 * settles fenced by the lease that write their counts in the same transaction.
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

export interface ClaimedSyncItem {
  id: number;
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

export interface SyncQueries {
  /** Every queue (a handful per audience). One statement. */
  listSyncQueues(): Promise<SyncQueue[]>;
  /** The queue's oldest claimable item, or null. One indexed lookup (sync_items_queue_idx). */
  syncQueueHead(queueId: number, now: number): Promise<QueueHead | null>;
  /** Claims up to `limit` due items of a queue, oldest first, under a fresh lease. Postgres: SKIP LOCKED. */
  claimSyncItems(q: { queueId: number; now: number; limit: number; leaseMs: number; leaseId: string }): Promise<ClaimedSyncItem[]>;
  /** Final outcome for leased items still pending (fenced by the lease). Returns tallies of what changed. Needs a transaction. */
  settleSyncItems(leaseId: string, ids: readonly number[], outcome: 'synced' | 'errored' | 'not_synced', reason: string | null, now: number): Promise<SettledTally[]>;
  /** Puts leased items back in the queue at `dueAt` (fenced), counting a failed attempt when `failed`. Returns how many moved. */
  rescheduleSyncItems(leaseId: string, ids: readonly number[], p: { dueAt: number; failed: boolean; lastError: string | null }): Promise<number>;
  /** For profiles with a pending item of the other action for this audience created at or after `after`: the latest such creation time. Set-based. */
  laterOppositeItems(q: { workspaceId: string; audienceId: string; action: 'add' | 'remove'; profileIds: readonly number[]; after: number }): Promise<Map<number, number>>;
  /** Errors every pending, unleased (or lease-expired) item of an audience at once. Returns tallies. Needs a transaction. */
  errorAudienceItems(workspaceId: string, audienceId: string, reason: string, now: number): Promise<SettledTally[]>;
  /** Puts a step's errored items back in the queue with a fresh retry window. Returns how many per reason. Needs a transaction. */
  requeueErroredSyncItems(workspaceId: string, canvasId: string, stepId: string, now: number): Promise<{ reason: string; count: number }[]>;
  /** For a canvas's synced items: milliseconds from the user's entry into the canvas to TikTok's acknowledgement (benchmarks). */
  ackLatencies(workspaceId: string, canvasId: string): Promise<number[]>;
  /** Pending items per audience, for the queue-depth gauge. One statement. */
  pendingByAudience(): Promise<{ workspaceId: string; audienceId: string; count: number }[]>;
  /** Errors pending items created before `createdBefore` (the retry window), in bounded batches. Returns tallies by reason. */
  errorExpiredSyncItems(q: { createdBefore: number; now: number; limit: number; reasonFor: (workspaceId: string) => string }): Promise<(SettledTally & { reason: string })[]>;
}
