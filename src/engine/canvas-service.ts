/**
 * The canvas lifecycle (spec §1, §3, §4): draft → active → stopped → archived.
 *
 * - POST/PUT accept any canvas of the shape (a draft may be incomplete); completeness is checked at
 *   launch, with every reason at once (422).
 * - PUT on a draft edits it in place (nobody has entered it). PUT on an active or stopped canvas
 *   writes a new version: users already inside keep the version they entered with (entries store
 *   it), new entries get the new one. A stopped canvas stays editable, as in Braze, and its edit is
 *   checked when it is resumed; an active canvas's edit must pass the launch checks of the canvas
 *   itself at once (`definitionProblems`), so that the runtime never meets a dangling step. The
 *   TikTok connection's status does not block such an edit: sync items wait for a reconnect anyway.
 *   An identical PUT writes no new version. An archived canvas is read-only (409).
 * - launch from draft, or from stopped (= resume); an active canvas → 409.
 * - A scheduled entry runs once per canvas (spec §3: every matching profile enters once, at that
 *   time). Its launch job is written in the transaction of the launch, and follows the latest version
 *   until it starts: a resume, or an edit while active, replaces a job that has not started with one
 *   for the latest version and `entry.at`. A job that has started or finished is never written again,
 *   so a resume does not re-run the scheduled entry (re-entry rules would stop double entries anyway).
 * - stop: active → stopped. No new entries; users already inside continue their steps (Braze lets
 *   a Delay run out and then drops the user; continuing is the simpler honest rule). A pending launch
 *   job stays pending; the launcher (launcher.ts) enters nobody while the canvas is not active.
 * - archive: from draft, active (which also stops it) or stopped; cancels a launch job that has not
 *   started. DELETE removes only a draft; any other canvas has entries or history to keep: 409
 *   "archive it instead".
 *
 * Every write runs in one transaction that first re-reads the canvas (locked on Postgres), so a
 * concurrent request cannot slip between the check and the write. Times come from the injected clock.
 */
import { randomBytes } from 'node:crypto';
import { definitionProblems, launchProblems, parseCanvas, type CanvasDefinition, type CanvasStatus, type LaunchContext } from '../core/canvas.ts';
import type { Clock } from '../core/clock.ts';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../core/errors.ts';
import type { CanvasPosition, CanvasRecord, CanvasVersionSummary, Queries, Store } from '../store/port.ts';

export interface CanvasServiceDeps {
  store: Store;
  clock: Clock;
  /** The workspace's TikTok connection as launch validation needs it. */
  tiktokLaunchContext(workspaceId: string): Promise<LaunchContext['tiktok']>;
}

export interface CanvasService {
  /** `savedBy`: who is saving, recorded on the version (the member's email or "API key <name>"). */
  create(workspaceId: string, body: unknown, savedBy?: string): Promise<CanvasRecord>;
  get(workspaceId: string, id: string): Promise<CanvasRecord>;
  /** One page, newest first, and where the next one starts (null after the last canvas). */
  listPage(workspaceId: string, page: { status?: CanvasStatus; limit: number; after?: CanvasPosition }): Promise<{ canvases: CanvasRecord[]; next: CanvasPosition | null }>;
  update(workspaceId: string, id: string, body: unknown, savedBy?: string): Promise<CanvasRecord>;
  /** The canvas's versions, newest first, with who saved each and how many users are in it on each. */
  versions(workspaceId: string, id: string): Promise<CanvasVersionSummary[]>;
  /**
   * Every reason launch would give for this body (spec §3), without saving or launching: the live
   * check of the dashboard's editor, with the same function and connection context as launch. A body
   * PUT would refuse (400) is answered, not refused: `shape` says why, and `reasons` is then empty,
   * since a half-typed draft is the normal case while editing.
   */
  problems(workspaceId: string, id: string, body: unknown): Promise<{ shape: string[]; reasons: string[] }>;
  remove(workspaceId: string, id: string): Promise<void>;
  launch(workspaceId: string, id: string): Promise<CanvasRecord>;
  stop(workspaceId: string, id: string): Promise<CanvasRecord>;
  archive(workspaceId: string, id: string): Promise<CanvasRecord>;
}

/** `cv_` and 96 random bits in hex. */
export const newCanvasId = (): string => `cv_${randomBytes(12).toString('hex')}`;

export function createCanvasService(deps: CanvasServiceDeps): CanvasService {
  const { store, clock } = deps;

  async function mustGet(tx: Queries, workspaceId: string, id: string, lock = false): Promise<CanvasRecord> {
    const canvas = await tx.getCanvas(workspaceId, id, { lock });
    if (!canvas) throw new NotFoundError('canvas_not_found', `no canvas ${id} in this workspace`);
    return canvas;
  }

  /** Runs `fn` on the canvas, re-read and locked inside one transaction; answers the canvas as it is after. */
  function mutate(workspaceId: string, id: string, fn: (tx: Queries, canvas: CanvasRecord, now: number) => Promise<void>): Promise<CanvasRecord> {
    return store.transaction(async (tx) => {
      const canvas = await mustGet(tx, workspaceId, id, true);
      await fn(tx, canvas, clock.now());
      return mustGet(tx, workspaceId, id);
    });
  }

  return {
    async create(workspaceId, body, savedBy) {
      const definition = parseOrThrow(body);
      const now = clock.now();
      return store.transaction((tx) => tx.insertCanvas({ id: newCanvasId(), workspaceId, definition, ...(savedBy === undefined ? {} : { savedBy }) }, now));
    },

    get: (workspaceId, id) => mustGet(store, workspaceId, id),

    async listPage(workspaceId, { limit, ...page }) {
      // One more than asked says whether another page follows, without a count.
      const rows = await store.listCanvasPage(workspaceId, { ...page, limit: limit + 1 });
      const canvases = rows.slice(0, limit);
      const last = canvases[canvases.length - 1];
      return { canvases, next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null };
    },

    async update(workspaceId, id, body, savedBy) {
      const definition = parseOrThrow(body);
      const before = await mustGet(store, workspaceId, id);
      // Read before the transaction: on SQLite a read on the store inside it would wait for itself.
      const tiktok = before.status === 'active' ? await deps.tiktokLaunchContext(workspaceId) : null;
      return mutate(workspaceId, id, async (tx, canvas, now) => {
        if (canvas.status !== before.status) throw changedMeanwhile(id);
        if (canvas.status === 'archived') throw new ConflictError('canvas_archived', `canvas ${id} is archived and read-only`);
        if (canvas.status === 'draft') {
          await tx.replaceCanvasDefinition(workspaceId, id, definition, now, savedBy);
          return;
        }
        if (sameDefinition(canvas.definition, definition)) return;
        if (canvas.status === 'active' && tiktok) {
          const problems = definitionProblems(definition, { tiktok });
          if (problems.length > 0) throw new UnprocessableError('update_refused', 'the canvas is active and this version could not run; fix it or stop the canvas first', problems);
        }
        const version = await tx.insertCanvasVersion(workspaceId, id, definition, now, savedBy);
        if (canvas.status === 'active' && version !== null) await scheduleEntry(tx, workspaceId, { id, version, definition }, now);
      });
    },

    async versions(workspaceId, id) {
      await mustGet(store, workspaceId, id);
      return store.listCanvasVersions(workspaceId, id);
    },

    async problems(workspaceId, id, body) {
      await mustGet(store, workspaceId, id);
      const parsed = parseCanvas(body);
      if (!parsed.ok) return { shape: parsed.problems.slice(0, MAX_PROBLEMS_SHOWN), reasons: [] };
      return { shape: [], reasons: launchProblems(parsed.canvas, { tiktok: await deps.tiktokLaunchContext(workspaceId) }) };
    },

    async remove(workspaceId, id) {
      await store.transaction(async (tx) => {
        const canvas = await mustGet(tx, workspaceId, id, true);
        if (canvas.status !== 'draft') {
          const hint = canvas.status === 'archived' ? 'it is already archived, which keeps its analytics' : 'archive it instead';
          throw new ConflictError('canvas_not_draft', `only a draft can be deleted; canvas ${id} is ${canvas.status}: ${hint}`);
        }
        await tx.deleteCanvas(workspaceId, id, { from: ['draft'] });
      });
    },

    async launch(workspaceId, id) {
      assertLaunchable(await mustGet(store, workspaceId, id));
      const tiktok = await deps.tiktokLaunchContext(workspaceId);
      return mutate(workspaceId, id, async (tx, canvas, now) => {
        assertLaunchable(canvas);
        const reasons = launchProblems(canvas.definition, { tiktok });
        if (reasons.length > 0) throw new UnprocessableError('launch_refused', 'the canvas cannot launch', reasons);
        // launched_at is the first launch; a resume keeps it.
        const moved = await tx.setCanvasStatus(workspaceId, id, { from: [canvas.status], to: 'active', ...(canvas.status === 'draft' ? { launchedAt: now } : {}) }, now);
        if (!moved) throw changedMeanwhile(id);
        await scheduleEntry(tx, workspaceId, canvas, now);
      });
    },

    stop: (workspaceId, id) =>
      mutate(workspaceId, id, async (tx, canvas, now) => {
        if (canvas.status !== 'active') throw new ConflictError('canvas_not_active', `only an active canvas can be stopped; canvas ${id} is ${canvas.status}`);
        if (!(await tx.setCanvasStatus(workspaceId, id, { from: ['active'], to: 'stopped' }, now))) throw changedMeanwhile(id);
      }),

    archive: (workspaceId, id) =>
      mutate(workspaceId, id, async (tx, canvas, now) => {
        if (canvas.status === 'archived') throw new ConflictError('canvas_archived', `canvas ${id} is already archived`);
        if (!(await tx.setCanvasStatus(workspaceId, id, { from: [canvas.status], to: 'archived' }, now))) throw changedMeanwhile(id);
        await tx.cancelUnstartedLaunchJobs(workspaceId, id, now);
      }),
  };
}

/**
 * Keeps the scheduled entry's launch job on the canvas's latest version until the job starts; once it
 * has started or finished, nothing is written again (the entry runs once per canvas). Needs the
 * caller's transaction, after the canvas row was locked.
 */
async function scheduleEntry(tx: Queries, workspaceId: string, canvas: { id: string; version: number; definition: CanvasDefinition }, now: number): Promise<void> {
  const jobs = (await tx.listCanvasLaunchJobs(workspaceId, canvas.id)).filter((j) => j.status !== 'cancelled');
  if (jobs.some((j) => j.status !== 'pending' || j.cursor > 0 || j.entered > 0)) return;
  const { entry } = canvas.definition;
  const current = jobs.length === 1 ? jobs[0] : undefined;
  // `at: null` means "at launch": an edit keeps the launch's time rather than moving it to the edit's.
  const runAt = entry.type !== 'scheduled' ? null : entry.at === null ? (current?.runAt ?? now) : Date.parse(entry.at);
  if (current && current.version === canvas.version && current.runAt === runAt) return;
  // A job a runner holds right now cannot be cancelled: it has started, so it stays the only one.
  if (jobs.length > 0 && (await tx.cancelUnstartedLaunchJobs(workspaceId, canvas.id, now)) < jobs.length) return;
  if (runAt !== null) await tx.insertLaunchJob({ workspaceId, canvasId: canvas.id, version: canvas.version, runAt });
}

function parseOrThrow(body: unknown): CanvasDefinition {
  const parsed = parseCanvas(body);
  if (parsed.ok) return parsed.canvas;
  // A cap of spec §9 is its own code, and its message says which cap; shape problems are listed together.
  if (parsed.code !== 'invalid_canvas') throw new ValidationError(parsed.code, parsed.problems.join('; '));
  const shown = parsed.problems.slice(0, MAX_PROBLEMS_SHOWN);
  const more = parsed.problems.length - shown.length;
  throw new ValidationError('invalid_canvas', `the body is not a canvas: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`);
}

/** A body of 1,000 broken steps has thousands of problems; the first ones are enough to fix it. */
const MAX_PROBLEMS_SHOWN = 50;

function assertLaunchable(canvas: CanvasRecord): void {
  if (canvas.status === 'active') throw new ConflictError('canvas_active', `canvas ${canvas.id} is already active`);
  if (canvas.status === 'archived') throw new ConflictError('canvas_archived', `canvas ${canvas.id} is archived and cannot launch`);
}

const changedMeanwhile = (id: string) => new ConflictError('canvas_changed', `canvas ${id} changed while this request ran; read it again and retry`);

/** Definitions come out of CanvasSchema with a fixed key order, so their JSON compares them. */
const sameDefinition = (a: CanvasDefinition, b: CanvasDefinition): boolean => JSON.stringify(a) === JSON.stringify(b);
