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
}
