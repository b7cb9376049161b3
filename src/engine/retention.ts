/**
 * The retention pruner (issue 18, docs/retention.md): every `intervalMs` (and soon after start) it
 * deletes finished entries and final sync history older than COHORT_RETENTION, then expired
 * credentials, in small transactions with a yield between them, so neither SQLite's one writer nor
 * the API waits long. One process prunes at a time (the store's leadership: a PostgreSQL advisory
 * lock; SQLite has one process). Step counts are never touched: analytics stay exact.
 */
import type { Clock } from '../core/clock.ts';
import { pollLoop } from '../core/poll-loop.ts';
import type { Queries, Store } from '../store/port.ts';
import type { PruneStep } from '../store/retention-port.ts';

export interface PruneReport {
  entries: number;
  /** Sync members and batches deleted. */
  syncHistory: number;
  credentials: number;
}

export interface PrunerOptions {
  store: Store;
  clock: Clock;
  /** COHORT_RETENTION: finished history older than this goes; 0 keeps nothing once final. */
  retentionMs: number;
  /** A dashboard session idle this long is over (members/service.ts SESSION_IDLE_MS). */
  sessionIdleMs: number;
  /** Between passes (default a minute). */
  intervalMs?: number;
  /** Before the first pass (default 5 s: not inside the start-up). */
  firstDelayMs?: number;
  /** Rows per transaction (default 5,000). */
  batchRows?: number;
  onError?: (error: unknown) => void;
  onPruned?: (report: PruneReport) => void;
}

export interface Pruner {
  start(): void;
  stop(): Promise<void>;
  /** One whole pass; null when another process holds the pruning leadership. */
  runOnce(): Promise<PruneReport | null>;
}

const LEAD_KEY = 'cohort:retention';
/** Free pages handed back per incremental_vacuum (16 KiB pages: 4 MB, a short write). */
const VACUUM_PAGES = 256;

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createPruner(o: PrunerOptions): Pruner {
  const batchRows = o.batchRows ?? 5_000;
  let stopping = false;

  /** Runs one kind of prune from the start of its table until it says there is no more. */
  async function sweep(step: (tx: Queries, after: number) => Promise<PruneStep>): Promise<number> {
    let total = 0;
    let after: number | null = 0;
    while (after !== null && !stopping) {
      const from: number = after;
      const r: PruneStep = await o.store.transaction((tx) => step(tx, from));
      total += r.deleted;
      after = r.next;
      if (r.deleted > 0) await o.store.reclaimSpace(VACUUM_PAGES);
      await yieldNow(); // better-sqlite3 is synchronous: let the API and the senders run
    }
    return total;
  }

  async function runOnce(): Promise<PruneReport | null> {
    const lead = await o.store.tryLead(LEAD_KEY);
    if (!lead) return null;
    try {
      const now = o.clock.now();
      const cutoff = now - o.retentionMs;
      const entries = await sweep((tx, after) => tx.pruneFinishedEntries({ cutoff, after, limit: batchRows }));
      const syncHistory = await sweep((tx, after) => tx.pruneSyncHistory({ cutoff, after, limit: batchRows }));
      const credentials = await o.store.pruneExpiredCredentials({ now, idleBefore: now - o.sessionIdleMs, limit: batchRows });
      // Pages freed elsewhere (payloads deleted at settle) go back too, a few MB at a time.
      while (!stopping && (await o.store.reclaimSpace(VACUUM_PAGES)) > 0) await yieldNow();
      if (!stopping && entries + syncHistory > 0) await o.store.truncateLog();
      const report = { entries, syncHistory, credentials };
      if (entries + syncHistory + credentials > 0) o.onPruned?.(report);
      return report;
    } finally {
      await lead.release();
    }
  }

  const loop = pollLoop(
    async () => {
      await runOnce();
      return false; // then sleep a whole interval
    },
    { idleMs: o.intervalMs ?? 60_000, onError: o.onError },
  );
  let timer: NodeJS.Timeout | null = null;
  return {
    start() {
      stopping = false;
      timer = setTimeout(() => loop.start(), o.firstDelayMs ?? 5_000);
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await loop.stop();
    },
    runOnce,
  };
}
