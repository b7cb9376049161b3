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
import type { Entry, EntryUpdate, LaunchJob } from '../store/journey-port.ts';
import type { Queries, Store } from '../store/port.ts';
import type { CanvasReader, CanvasSnapshot } from './canvas-reader.ts';
import { arrivalCounts, eligible, eligibleCandidates, newEntry, type Candidate } from './enter.ts';
import { runEntries, writeOutcomes, type Outcome } from './executor.ts';
import { hasDigest, type DigestTable, type HashedField } from '../core/digest-rows.ts';
import { keepIdentifierRows } from '../core/identifier-rows.ts';
import type { IdentifierHasher } from '../partners/tiktok/hash-pool.ts';

export interface LauncherDeps {
  store: Store;
  canvases: CanvasReader;
  clock: Clock;
  /** Hashes a chunk's identifiers when the first step is audience_sync (a thread pool in `serve`); absent: the step hashes each user itself. */
  hasher?: IdentifierHasher;
  /** Profiles per transaction. */
  chunkSize: number;
  /** Profiles per part of a split launch at least (default PROFILES_PER_PART). */
  profilesPerPart?: number;
  leaseMs: number;
  newLeaseId(): string;
}

/** Claims one due launch job and runs it to the end (or until its lease is lost). Returns users entered. */
export async function runDueLaunchJob(deps: LauncherDeps, onProgress?: () => void): Promise<number | null> {
  const leaseId = deps.newLeaseId();
  const job = await deps.store.claimDueLaunchJob({ now: deps.clock.now(), leaseMs: deps.leaseMs, leaseId });
  if (!job) return null;
  if (!(await splitIfLarge(deps, job))) return 0;
  const defaultCountry = (await deps.store.getWorkspace(job.workspaceId))?.defaultCountry ?? null;
  let cursor = job.cursor;
  let total = 0;
  // The next chunk, being read (on another connection, on PostgreSQL) and hashed (on the hasher's
  // thread) while this one runs and commits.
  let ahead: Promise<Chunk> | null = null;
  for (;;) {
    const now = deps.clock.now();
    const canvas = await deps.canvases.getCanvasSnapshot(job.workspaceId, job.canvasId);
    // A stopped canvas keeps its job: it stays claimed until the lease runs out, then is looked at
    // again, and a resume carries on from the cursor. Only a canvas that is gone or archived ends it.
    if (canvas && canvas.status !== 'active' && canvas.status !== 'archived') return total;
    // Users enter the version that was launched, even if the canvas was edited since.
    const live = canvas && canvas.status === 'active' ? { ...canvas, ...(await launchedVersion(deps, job, canvas)) } : null;
    const read = ahead && (await ahead);
    let chunk: Chunk = live ? (read?.after === cursor ? read : await readChunk(deps, job, live, cursor, defaultCountry, now)) : { after: cursor, count: 0, lastId: null, ids: [], candidates: [], hashed: Promise.resolve(undefined) };
    const done = chunk.count < deps.chunkSize;
    const nextCursor = chunk.lastId ?? cursor;
    ahead = live && !done ? readChunk(deps, job, live, nextCursor, defaultCountry, now) : null;
    ahead?.catch(() => undefined); // awaited next turn; a read dropped by a return must not leave an unhandled rejection
    let hashed = live ? await chunk.hashed : undefined;
    // Users of a first sync step that ends the canvas are written in bulk; anyone else one by one.
    const bulk = live && hashed ? await planBulk(deps, live, chunk, hashed, defaultCountry, now) : null;
    if (live && !bulk && chunk.candidates === null) {
      // Read without whole profiles for a bulk write that cannot be done after all: read them now.
      chunk = await readProfiles(deps, job, live, cursor, defaultCountry, now);
      hashed = await chunk.hashed;
    }
    const candidates = chunk.candidates ?? [];
    const outcomes = live && !bulk ? await runNewUsers(deps, live, candidates, hashed, defaultCountry, now) : [];
    const step = await deps.store.transaction(async (tx) => {
      let entered = 0;
      if (live && chunk.ids.length > 0) entered = bulk ? await writeBulk(tx, live, chunk, hashed!, bulk, now) : await writeEach(tx, live, candidates, outcomes, now);
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

/** The profiles a job reads: its workspace's, up to its bound. */
type JobRange = Pick<LaunchJob, 'workspaceId' | 'upto'>;

/**
 * Profiles per part of a split launch, at least: smaller launches stay one job. Each part starts without
 * a chunk read ahead (~0.1 s on PostgreSQL), so parts are few: a 1M launch is 4, two for each of two workers.
 */
export const PROFILES_PER_PART = 250_000;
/** Parts of one launch at most: more workers than this gain nothing on it. */
const MAX_PARTS = 16;

/**
 * A launch job that has not started is split into parts of the workspace's profile ids, so several
 * workers (`cohort serve --role worker`, each claiming with SKIP LOCKED on PostgreSQL) enter its users
 * side by side; one worker simply runs the parts in turn. The parts are cut evenly in id space: ids
 * are dense in the order profiles were created. Profiles created after the split fall to the last
 * part, which has no bound, as they did to the single job. False when the job's lease was lost.
 */
async function splitIfLarge(deps: LauncherDeps, job: LaunchJob): Promise<boolean> {
  if (job.cursor !== 0 || job.upto !== null || job.entered !== 0) return true; // started, or a part already
  const span = await deps.store.profileSpan(job.workspaceId);
  // Sized by the id span, not a count (a count read the whole workspace): where other workspaces'
  // profiles are interleaved, parts hold fewer profiles than PROFILES_PER_PART, which only costs statements.
  const parts = span ? Math.min(MAX_PARTS, Math.floor((span.max - span.min + 1) / (deps.profilesPerPart ?? PROFILES_PER_PART))) : 0;
  if (!span || parts < 2) return true;
  const width = (span.max - span.min + 1) / parts;
  const bounds = Array.from({ length: parts - 1 }, (_, k) => span.min - 1 + Math.round(width * (k + 1)));
  return deps.store.transaction((tx) => tx.splitLaunchJob(job.id, job.leaseId, bounds)).then((kept) => {
    if (kept) job.upto = bounds[0]!;
    return kept;
  });
}

/** Writes each user's entry where their run ended, then what their steps did and every count. Returns users entered. */
async function writeEach(tx: Queries, canvas: CanvasSnapshot, candidates: readonly Candidate[], outcomes: readonly Outcome[], now: number): Promise<number> {
  const inserted = await tx.insertEntries(candidates.map((c, i) => newEntry(canvas, c, outcomes[i]!.update)), now);
  // Usually everyone went in, in order (insertEntries answers in row order); else by profile.
  const entryIdOf = inserted.length === candidates.length ? null : new Map(inserted.map((e) => [e.profileId, e.id]));
  const kept: Outcome[] = [];
  candidates.forEach((c, i) => {
    const id = entryIdOf ? entryIdOf.get(c.profile.id) : inserted[i]!.id;
    if (id === undefined) return; // already active in this canvas: not entered again
    const o = outcomes[i]!;
    for (const s of o.syncItems) s.entryId = id;
    for (const w of o.outbox) w.entryId = id;
    kept.push(o);
  });
  await writeOutcomes(tx, kept, now);
  await tx.addStepCounts(arrivalCounts(canvas, inserted.length, now));
  return inserted.length;
}

/**
 * A chunk whose first step is an audience_sync step that ends the canvas (`next: null`: the plain
 * "everyone to TikTok" canvas), its identifiers already hashed. Each user's run is then that one
 * step, and its result turns only on whether the user has a usable identifier (steps/audience_sync.ts).
 * So one user of each kind runs through the executor, and every user of the kind gets that run's
 * entry state, counts and sync item, with their own ids and hashes. Nothing is built per user but
 * their sync item, and the entries are written from the profiles table. Bench, 300k users: the
 * sync 5.3–5.6 → 4.3–4.4 s (DEVELOPERS.md).
 */
interface BulkPlan {
  /** Per candidate: 0 has a usable identifier, 1 has none. */
  kind: Uint8Array;
  /** Per kind, the run of its first user (null: no user of that kind). */
  runOf: [Outcome | null, Outcome | null];
}

/** The fields of a first audience_sync step that ends the canvas (a bulk chunk's step); null for any other canvas. */
function bulkFields(canvas: CanvasSnapshot): readonly HashedField[] | null {
  const first = canvas.definition.steps.find((s) => s.id === canvas.definition.first_step);
  return first?.type === 'audience_sync' && first.next === null ? first.config.fields : null;
}

async function planBulk(deps: LauncherDeps, canvas: CanvasSnapshot, chunk: Chunk, hashed: DigestTable, defaultCountry: string | null, now: number): Promise<BulkPlan | null> {
  if (bulkFields(canvas) === null || chunk.ids.length === 0) return null;
  const kind = new Uint8Array(chunk.ids.length);
  const firstOf = [-1, -1];
  for (let i = 0; i < kind.length; i++) {
    const k = hasDigest({ table: hashed, row: i }) ? 0 : 1;
    kind[i] = k;
    if (firstOf[k]! < 0) firstOf[k] = i;
  }
  const rows = firstOf.filter((i) => i >= 0);
  // A chunk read without whole profiles: the first user of each kind is read whole to run.
  const profileOf = chunk.candidates ? null : new Map((await deps.store.getProfilesByIds(canvas.workspaceId, rows.map((i) => chunk.ids[i]!))).map((p) => [p.id, p]));
  const firsts: Candidate[] = [];
  for (const i of rows) {
    const profile = chunk.candidates ? chunk.candidates[i]!.profile : profileOf!.get(chunk.ids[i]!);
    if (!profile) return null; // deleted meanwhile
    firsts.push({ profile });
  }
  const runs = await runNewUsers(deps, canvas, firsts, hashed, defaultCountry, now, rows);
  // The shortcut holds while that step's run is what it is today: one sync item, no other effect,
  // and both kinds leave in the same state. Anything else (a failure too) goes user by user.
  if (runs.some((o) => o.syncItems.length !== 1 || o.outbox.length > 0 || o.profileSet !== null || o.update.status === 'failed')) return null;
  if (runs.length === 2 && !sameState(runs[0]!.update, runs[1]!.update)) return null;
  return { kind, runOf: [firstOf[0]! >= 0 ? runs[0]! : null, firstOf[1]! >= 0 ? runs[runs.length - 1]! : null] };
}

async function writeBulk(tx: Queries, canvas: CanvasSnapshot, chunk: Chunk, hashed: DigestTable, plan: BulkPlan, now: number): Promise<number> {
  const { ids } = chunk;
  const state = (plan.runOf[0] ?? plan.runOf[1])!.update;
  const inserted = await tx.insertEntriesFromProfiles({ workspaceId: canvas.workspaceId, canvasId: canvas.id, version: canvas.version, profileIds: ids, ...(chunk.externalIds ? { externalIds: chunk.externalIds } : {}), state }, now);
  // The chunk is in profile id order, as the answer is; a profile deleted meanwhile has no entry.
  const entryIdOf = inserted.length === ids.length ? null : new Map(inserted.map((e) => [e.profileId, e.id]));
  // Per kind, its users as one group: ids only, no object per user.
  const groups = plan.runOf.map((run) => (run ? { entryIds: [] as number[], profileIds: [] as number[], rows: [] as number[] } : null));
  for (let i = 0; i < ids.length; i++) {
    const id = entryIdOf ? entryIdOf.get(ids[i]!) : inserted[i]!.id;
    if (id === undefined) continue;
    const g = groups[plan.kind[i]!]!;
    g.entryIds.push(id);
    g.profileIds.push(ids[i]!);
    g.rows.push(i);
  }
  const entered = groups.map((g) => g?.entryIds.length ?? 0);
  await tx.insertSyncGroups(
    plan.runOf.flatMap((run, k) => {
      const g = groups[k];
      if (!run || !g || g.entryIds.length === 0) return [];
      const { entryId: _e, profileId: _p, hashes: _h, ...shared } = run.syncItems[0]!;
      return [{ shared, entryIds: g.entryIds, profileIds: g.profileIds, hashes: k === 0 ? { table: hashed, rows: g.rows } : null }];
    }),
    now,
  );
  const deltas = plan.runOf.flatMap((run, k) => (run ? run.book.deltas.map((d) => ({ ...d, count: d.count * entered[k]! })) : []));
  await tx.addStepCounts([...arrivalCounts(canvas, inserted.length, now), ...deltas]);
  return inserted.length;
}

const sameState = (a: EntryUpdate, b: EntryUpdate): boolean => a.stepId === b.stepId && a.status === b.status && a.dueAt === b.dueAt && a.stepEnteredAt === b.stepEnteredAt && a.exitedAt === b.exitedAt;

interface Chunk {
  /** The cursor the chunk was read after. */
  after: number;
  /** Profiles read (fewer than the chunk size: the last chunk). */
  count: number;
  lastId: number | null;
  /** Who may enter now, in id order. */
  ids: readonly number[];
  /** Their external ids, when read with the identifiers (see IdentifierRows). */
  externalIds?: readonly string[];
  /** Their whole profiles; null when only their identifiers were read (a bulk write needs no more). */
  candidates: Candidate[] | null;
  /** Their identifiers for a first audience_sync step, hashed off this thread (undefined: the step hashes). */
  hashed: Promise<DigestTable | undefined>;
}

/**
 * A bulk write needs only who enters and their identifiers. When the canvas has no entry audience
 * to check, only those are read, as one JSON text the database writes (`listIdentifierRowsAfter`: no
 * object, array or string per user on this thread; the hash thread parses it); otherwise the whole profiles.
 */
function readChunk(deps: LauncherDeps, job: JobRange, canvas: CanvasSnapshot, after: number, defaultCountry: string | null, now: number): Promise<Chunk> {
  const fields = bulkFields(canvas);
  return deps.hasher && fields && !canvas.definition.audience ? readIdentifiers(deps, deps.hasher, job, canvas, fields, after, defaultCountry, now) : readProfiles(deps, job, canvas, after, defaultCountry, now);
}

async function readIdentifiers(deps: LauncherDeps, hasher: IdentifierHasher, job: JobRange, canvas: CanvasSnapshot, fields: readonly HashedField[], after: number, defaultCountry: string | null, now: number): Promise<Chunk> {
  const read = await deps.store.listIdentifierRowsAfter(job.workspaceId, after, deps.chunkSize, job.upto);
  const ids = await eligible(deps.store, canvas, read.ids, (id) => id, null, now);
  const hashed = ids.length > 0 ? hasher.hashRows(keepIdentifierRows(read, ids), ids.length, fields, defaultCountry) : Promise.resolve(undefined);
  hashed.catch(() => undefined); // awaited later; a chunk dropped unread must not leave an unhandled rejection
  const externalIds = read.externalIds && keptExternalIds(read.ids, read.externalIds, ids);
  return { after, count: read.ids.length, lastId: read.ids.at(-1) ?? null, ids, ...(externalIds ? { externalIds } : {}), candidates: null, hashed };
}

/** The external ids of `kept`, a subsequence of `ids` (both in id order). */
function keptExternalIds(ids: readonly number[], externalIds: readonly string[], kept: readonly number[]): readonly string[] {
  if (kept.length === ids.length) return externalIds;
  const out: string[] = [];
  for (let i = 0, k = 0; i < ids.length && k < kept.length; i++) {
    if (ids[i] !== kept[k]) continue;
    out.push(externalIds[i]!);
    k++;
  }
  return out;
}

async function readProfiles(deps: LauncherDeps, job: JobRange, canvas: CanvasSnapshot, after: number, defaultCountry: string | null, now: number): Promise<Chunk> {
  const profiles = await deps.store.listProfilesAfter(job.workspaceId, after, deps.chunkSize, job.upto);
  const candidates = await eligibleCandidates(deps.store, canvas, profiles.map((profile) => ({ profile })), now);
  const first = canvas.definition.steps.find((s) => s.id === canvas.definition.first_step);
  const hashed = deps.hasher && first?.type === 'audience_sync' && candidates.length > 0 ? deps.hasher.hashMany(candidates.map((c) => c.profile), first.config.fields, defaultCountry) : Promise.resolve(undefined);
  hashed.catch(() => undefined); // awaited later; a chunk dropped unread must not leave an unhandled rejection
  return { after, count: profiles.length, lastId: profiles.at(-1)?.id ?? null, ids: candidates.map((c) => c.profile.id), candidates, hashed };
}

/** Runs the chunk's new users through their steps before their entries exist (provisional ids, negative). `rows`: each candidate's row of `hashed` (default: its index). */
async function runNewUsers(deps: LauncherDeps, canvas: CanvasSnapshot, candidates: readonly Candidate[], hashed: DigestTable | undefined, defaultCountry: string | null, now: number, rows?: readonly number[]): Promise<Outcome[]> {
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
  return runEntries(entries, (e) => ({ definition: canvas.definition, profile: candidates[-e.id - 1]!.profile, hashed: hashed ? { table: hashed, row: rows ? rows[-e.id - 1]! : -e.id - 1 } : undefined }), defaultCountry, now);
}

async function launchedVersion(deps: LauncherDeps, job: { workspaceId: string; canvasId: string; version: number }, canvas: { version: number }) {
  if (canvas.version === job.version) return {};
  const defs = await deps.canvases.getDefinitions(job.workspaceId, [{ canvasId: job.canvasId, version: job.version }]);
  const definition = defs.get(`${job.canvasId}@${job.version}`);
  return definition ? { version: job.version, definition } : {};
}
