/**
 * Scheduled entry (spec §3: every profile matching `audience` enters once at that time). A launch job
 * walks the workspace's profiles in id order, a chunk at a time. New users are run through their
 * first steps in memory (the executor's handlers) and their entries are written where they ended up,
 * with the steps' effects and every count, in one transaction with the job's cursor: a crash resumes
 * after the last committed chunk and every user enters exactly once. Writing each entry once, instead
 * of inserting it for a worker to claim and move, is what makes a million-user launch fast (bench,
 * 1M users: see the README's results).
 *
 * Only the launch job enters users into a scheduled canvas, so no other writer races it for the same
 * (canvas, user): the job's lease fences the chunk.
 */
import type { Clock } from '../core/clock.ts';
import type { Entry } from '../store/journey-port.ts';
import type { Profile, Store } from '../store/port.ts';
import type { CanvasReader, CanvasSnapshot } from './canvas-reader.ts';
import { arrivalCounts, eligibleCandidates, newEntry, type Candidate } from './enter.ts';
import { runEntries, writeOutcomes, type Outcome } from './executor.ts';
import type { DigestTable } from '../core/digest-rows.ts';
import type { IdentifierHasher } from '../partners/tiktok/hash-pool.ts';
import type { StepIO } from './steps/index.ts';

export interface LauncherDeps {
  store: Store;
  canvases: CanvasReader;
  clock: Clock;
  io: StepIO;
  /** Hashes a chunk's identifiers when the first step is audience_sync (a thread pool in `serve`); absent: the step hashes each user itself. */
  hasher?: IdentifierHasher;
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
  const defaultCountry = (await deps.store.getWorkspace(job.workspaceId))?.defaultCountry ?? null;
  let cursor = job.cursor;
  let total = 0;
  // The next chunk, read and being hashed (on the hasher's thread) while this one runs and commits.
  let ahead: Chunk | null = null;
  for (;;) {
    const now = deps.clock.now();
    const canvas = await deps.canvases.getCanvasSnapshot(job.workspaceId, job.canvasId);
    // A stopped canvas keeps its job: it stays claimed until the lease runs out, then is looked at
    // again, and a resume carries on from the cursor. Only a canvas that is gone or archived ends it.
    if (canvas && canvas.status !== 'active' && canvas.status !== 'archived') return total;
    // Users enter the version that was launched, even if the canvas was edited since.
    const live = canvas && canvas.status === 'active' ? { ...canvas, ...(await launchedVersion(deps, job, canvas)) } : null;
    const chunk: Chunk = live ? (ahead?.after === cursor ? ahead : await readChunk(deps, job.workspaceId, live, cursor, defaultCountry, now)) : { after: cursor, profiles: [], candidates: [], hashed: Promise.resolve(undefined) };
    const { profiles, candidates } = chunk;
    const done = profiles.length < deps.chunkSize;
    const nextCursor = profiles.length > 0 ? profiles[profiles.length - 1]!.id : cursor;
    ahead = live && !done ? await readChunk(deps, job.workspaceId, live, nextCursor, defaultCountry, now) : null;
    const outcomes = live ? await runNewUsers(deps, live, candidates, await chunk.hashed, defaultCountry, now) : [];
    const step = await deps.store.transaction(async (tx) => {
      let entered = 0;
      if (live && candidates.length > 0) {
        const inserted = await tx.insertEntries(candidates.map((c, i) => newEntry(live, c, outcomes[i]!.update)), now);
        // Usually everyone went in, in order (insertEntries answers in row order); else by profile.
        const entryIdOf = inserted.length === candidates.length ? null : new Map(inserted.map((e) => [e.profileId, e.id]));
        const kept: Outcome[] = [];
        candidates.forEach((c, i) => {
          const id = entryIdOf ? entryIdOf.get(c.profile.id) : inserted[i]!.id;
          if (id === undefined) return; // already active in this canvas: not entered again
          const o = outcomes[i]!;
          for (const s of o.syncItems) s.entryId = id;
          for (const w of o.webhooks) w.entryId = id;
          kept.push(o);
        });
        await writeOutcomes(tx, kept, now);
        await tx.addStepCounts(arrivalCounts(live, inserted.length, now));
        entered = inserted.length;
      }
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

interface Chunk {
  /** The cursor the chunk was read after. */
  after: number;
  profiles: Profile[];
  candidates: Candidate[];
  /** The candidates' identifiers for a first audience_sync step, hashed off the main thread (undefined: the step hashes). */
  hashed: Promise<DigestTable | undefined>;
}

async function readChunk(deps: LauncherDeps, workspaceId: string, canvas: CanvasSnapshot, after: number, defaultCountry: string | null, now: number): Promise<Chunk> {
  const profiles = await deps.store.listProfilesAfter(workspaceId, after, deps.chunkSize);
  const candidates = await eligibleCandidates(deps.store, canvas, profiles.map((profile) => ({ profile })), now);
  const first = canvas.definition.steps.find((s) => s.id === canvas.definition.first_step);
  const hashed = deps.hasher && first?.type === 'audience_sync' && candidates.length > 0 ? deps.hasher.hashMany(candidates.map((c) => c.profile), first.config.fields, defaultCountry) : Promise.resolve(undefined);
  hashed.catch(() => undefined); // awaited later; a chunk dropped unread must not leave an unhandled rejection
  return { after, profiles, candidates, hashed };
}

/** Runs the chunk's new users through their steps before their entries exist (provisional ids, negative). */
async function runNewUsers(deps: LauncherDeps, canvas: CanvasSnapshot, candidates: readonly Candidate[], hashed: DigestTable | undefined, defaultCountry: string | null, now: number): Promise<Outcome[]> {
  // Object literals, not spreads: a spread per user cost seconds on a 1M-user launch (CPU profile).
  const entries: Entry[] = candidates.map((c, i) => ({
    id: -(i + 1),
    workspaceId: canvas.workspaceId,
    canvasId: canvas.id,
    version: canvas.version,
    profileId: c.profile.id,
    externalId: c.profile.externalId,
    stepId: canvas.definition.first_step,
    status: 'active',
    dueAt: now,
    stepEnteredAt: now,
    enteredAt: now,
    exitedAt: null,
    exitRequested: false,
    context: c.context ?? null,
    dispatchId: c.dispatchId ?? null,
  }));
  return runEntries(deps.io, entries, (e) => ({ definition: canvas.definition, profile: candidates[-e.id - 1]!.profile, hashed: hashed ? { table: hashed, row: -e.id - 1 } : undefined }), defaultCountry, now);
}

async function launchedVersion(deps: LauncherDeps, job: { workspaceId: string; canvasId: string; version: number }, canvas: { version: number }) {
  if (canvas.version === job.version) return {};
  const defs = await deps.canvases.getDefinitions(job.workspaceId, [{ canvasId: job.canvasId, version: job.version }]);
  const definition = defs.get(`${job.canvasId}@${job.version}`);
  return definition ? { version: job.version, definition } : {};
}
