/**
 * Scheduled entry (spec §3: every profile matching `audience` enters once at that time). A launch job
 * walks the workspace's profiles in id order, a chunk per transaction: the chunk's entries, their
 * `entered` count and the job's cursor commit together, so a crash resumes after the last chunk and
 * every user enters exactly once.
 */
import type { Clock } from '../core/clock.ts';
import type { Store } from '../store/port.ts';
import type { CanvasReader } from './canvas-reader.ts';
import { enterUsers } from './enter.ts';

export interface LauncherDeps {
  store: Store;
  canvases: CanvasReader;
  clock: Clock;
  /** Profiles per transaction. */
  chunkSize: number;
  leaseMs: number;
  newLeaseId(): string;
}

/** Claims one due launch job and runs it to the end (or until its lease is lost). Returns users entered. */
export async function runDueLaunchJob(deps: LauncherDeps, onProgress?: () => void): Promise<number | null> {
  const leaseId = deps.newLeaseId();
  const job = await deps.store.claimDueLaunchJob({ now: deps.clock.now(), leaseMs: deps.leaseMs, leaseId });
  if (!job) return null;
  let cursor = job.cursor;
  let total = 0;
  for (;;) {
    const now = deps.clock.now();
    const canvas = await deps.canvases.getCanvasSnapshot(job.workspaceId, job.canvasId);
    // A stopped canvas keeps its job: it stays claimed until the lease runs out, then is looked at
    // again, and a resume carries on from the cursor. Only a canvas that is gone or archived ends it.
    if (canvas && canvas.status !== 'active' && canvas.status !== 'archived') return total;
    const step = await deps.store.transaction(async (tx) => {
      const profiles = canvas && canvas.status === 'active' ? await tx.listProfilesAfter(job.workspaceId, cursor, deps.chunkSize) : [];
      const done = profiles.length < deps.chunkSize;
      const nextCursor = profiles.length > 0 ? profiles[profiles.length - 1]!.id : cursor;
      // Users enter the version that was launched, even if the canvas was edited since.
      const entered = canvas && profiles.length > 0 ? await enterUsers(tx, { ...canvas, ...(await launchedVersion(deps, job, canvas)) }, profiles.map((profile) => ({ profile })), now) : 0;
      const kept = await tx.advanceLaunchJob(job.id, leaseId, { cursor: nextCursor, entered, done, leaseExpiresAt: now + deps.leaseMs });
      if (!kept) throw new LeaseLost();
      return { done, entered, nextCursor };
    }).catch((e: unknown) => (e instanceof LeaseLost ? null : Promise.reject(e)));
    if (step === null) return total;
    total += step.entered;
    cursor = step.nextCursor;
    onProgress?.();
    if (step.done) return total;
    // SQLite calls are synchronous: yield to the event loop so the API keeps answering during a big launch.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

class LeaseLost extends Error {}

async function launchedVersion(deps: LauncherDeps, job: { workspaceId: string; canvasId: string; version: number }, canvas: { version: number }) {
  if (canvas.version === job.version) return {};
  const defs = await deps.canvases.getDefinitions(job.workspaceId, [{ canvasId: job.canvasId, version: job.version }]);
  const definition = defs.get(`${job.canvasId}@${job.version}`);
  return definition ? { version: job.version, definition } : {};
}
