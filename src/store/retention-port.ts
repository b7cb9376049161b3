/**
 * Retention (issue 18, docs/retention.md): what is deleted once it is final, and what the pruner
 * (engine/retention.ts) deletes once it is older than COHORT_RETENTION. Step counts are never pruned:
 * analytics come from them alone, so they stay exact.
 */

/** How much one prune statement removed, and where the next one starts (an id cursor; 0 = from the start). */
export interface PruneStep {
  /** Rows deleted (entries; or sync members plus batches). */
  deleted: number;
  /** The id to pass as `after` next; null once the scan reached rows too new to prune (or the end). */
  next: number | null;
}

export interface RetentionQueries {
  /**
   * Deletes the payloads (hashed identifiers) of these batches once they are final and never read
   * again: synced or not_synced. Kept: errored batches (retry-errored sends them again), synced
   * batches with members errored on their own (the same), and synced batches of an audience that has
   * the other action queued (sync/intents.ts rule 3 may send their users again). Those go with the
   * batch when retention prunes it. One statement; call it in the settle's transaction.
   */
  deleteFinalSyncPayloads(batchIds: readonly number[]): Promise<number>;
  /**
   * Finished entries (exited or failed at or before `cutoff`) among the next `limit` entries by id
   * after `after`: each (canvas, profile)'s last entry time is kept in `entry_marks` first (re-entry
   * rules read it: `priorEntryMarks`), then the rows are deleted. Stops (`next` null) at the first
   * entry that entered after `cutoff`: ids grow with time, so the rest are too new (the next pass
   * starts over).
   * Needs a transaction; a few statements.
   */
  pruneFinishedEntries(q: { cutoff: number; after: number; limit: number }): Promise<PruneStep>;
  /**
   * Final sync batches (not pending) settled at or before `cutoff`, with their members and any payload
   * left, after `after` in id order, taking batches until about `limit` members. Stops (`next` null) at
   * the first batch created after `cutoff`. A batch whose intent is newer than a pending one of the
   * same audience stays (sync/intents.ts rule 1 still needs it). Needs a transaction; a few statements.
   */
  pruneSyncHistory(q: { cutoff: number; after: number; limit: number }): Promise<PruneStep>;
  /** Each given profile's last entry into the canvas that retention pruned (entry_marks). Set-based. */
  priorEntryMarks(canvasId: string, profileIds: readonly number[]): Promise<{ profileId: number; lastEnteredAt: number }[]>;
  /** Whether retention pruned any entry of the canvas: when not, `priorEntryMarks` can be skipped. One indexed probe. */
  hasEntryMarks(canvasId: string): Promise<boolean>;
  /**
   * Dashboard sessions past their absolute limit or idle since before `idleBefore`, sign-in links used
   * or expired, and OAuth states expired: up to `limit` of each. Returns how many in all. A few statements.
   */
  pruneExpiredCredentials(q: { now: number; idleBefore: number; limit: number }): Promise<number>;
  /**
   * SQLite: `PRAGMA incremental_vacuum(pages)`, giving up to `pages` free pages back to the file system
   * (a file made with auto_vacuum = INCREMENTAL, connect.ts), and answers how many free pages remain
   * (0 for a file made without it: it needs one `VACUUM`, docs/retention.md). PostgreSQL: nothing, 0
   * (autovacuum). Outside a transaction.
   */
  reclaimSpace(pages: number): Promise<number>;
  /**
   * SQLite: checkpoints the WAL and truncates it to nothing. A WAL keeps the size of its biggest burst
   * (25 MB after a 100,000-user launch, as much as the whole database) although its pages are free
   * once checkpointed; after a pruning pass the bytes on disk should be the data's. PostgreSQL: nothing.
   * Outside a transaction.
   */
  truncateLog(): Promise<void>;
}
