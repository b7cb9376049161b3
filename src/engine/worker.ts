/**
 * The worker loop: due launch jobs, then due entries in batches, leased so that several workers can
 * share a PostgreSQL database. It sleeps when there is nothing due, and an in-process `wake()` (the
 * API calls it after a trigger commits) starts the next run at once.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { pollLoop } from '../core/poll-loop.ts';
import type { Store } from '../store/port.ts';
import type { CanvasReader } from './canvas-reader.ts';
import { executeClaimed } from './executor.ts';
import { runDueLaunchJob } from './launcher.ts';
import type { IdentifierHasher } from '../partners/tiktok/hash-pool.ts';

export interface WorkerOptions {
  store: Store;
  canvases: CanvasReader;
  clock: Clock;
  /** Hashes a launch chunk's identifiers off the main thread (launcher.ts). */
  hasher?: IdentifierHasher;
  /** Entries claimed per run. */
  batchSize?: number;
  /** Profiles entered per launch transaction. */
  launchChunk?: number;
  /** Profiles per part of a split launch at least (launcher.ts PROFILES_PER_PART; tests use small parts). */
  launchPart?: number;
  /** How long a claim is held before another worker may take it over. */
  leaseMs?: number;
  /** Sleep between empty polls. */
  idleMs?: number;
  onError?: (error: unknown) => void;
  /** Called after a batch of entries or a launch chunk committed (the senders are woken: new sync items or webhook calls may be waiting). */
  afterBatch?: () => void;
}

export interface Worker {
  start(): void;
  stop(): Promise<void>;
  /** One pass: launch jobs, then one batch of entries. Returns the amount of work done (0 = idle). */
  runOnce(): Promise<number>;
  /** Runs passes until one does nothing. */
  drain(): Promise<void>;
  wake(): void;
  /** 'ok' while its loop runs and the last pass succeeded (GET /readyz). */
  health(): 'ok' | string;
}

export function createWorker(o: WorkerOptions): Worker {
  // 10,000 = one TikTok request: the sender then sends full batches (bench, 100k users: mean rows per
  // request 2,000 → 10,000 at the same throughput; peak RSS +80 MB).
  const batchSize = o.batchSize ?? 10_000;
  const leaseMs = o.leaseMs ?? 60_000;
  const idleMs = o.idleMs ?? 200;
  async function runOnce(): Promise<number> {
    let work = 0;
    // A launch job that fails is reported and tried again when its lease runs out; the entries of
    // every other canvas and workspace go on meanwhile.
    const launched = await runDueLaunchJob({ store: o.store, canvases: o.canvases, clock: o.clock, hasher: o.hasher, chunkSize: o.launchChunk ?? 10_000, ...(o.launchPart ? { profilesPerPart: o.launchPart } : {}), leaseMs, newLeaseId: randomUUID }, () => o.afterBatch?.()).catch((error: unknown) => {
      o.onError?.(error);
      return null;
    });
    if (launched !== null) work += launched;
    const leaseId = randomUUID();
    const claimed = await o.store.claimDueEntries({ now: o.clock.now(), limit: batchSize, leaseMs, leaseId });
    const moved = await executeClaimed({ store: o.store, canvases: o.canvases }, claimed, leaseId, o.clock.now());
    if (moved > 0) o.afterBatch?.();
    return work + claimed.length;
  }

  const loop = pollLoop(async () => (await runOnce()) > 0, { idleMs, onError: o.onError });

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    runOnce,
    async drain() {
      while ((await runOnce()) > 0);
    },
    wake: () => loop.wake(),
    health: () => loop.health(),
  };
}
