/**
 * Runs claimed entries through their steps. Handlers run in memory (webhooks do their HTTP here,
 * outside any transaction); then ONE transaction, fenced by the claim's lease, moves the users and
 * writes every effect and count. A crash before that commit leaves the claim to expire and the
 * batch to run again, so counts never double (a webhook may be sent twice: at-least-once).
 */
import type { CanvasDefinition, StepDefinition, StepType } from '../core/canvas.ts';
import type { Entry, EntryUpdate, NewSyncItem, WebhookDelivery } from '../store/journey-port.ts';
import type { Json, Profile, ProfilePatch, Queries, Store } from '../store/port.ts';
import { versionKey, type CanvasReader } from './canvas-reader.ts';
import { CountBook, minuteOf } from './counts.ts';
import { splitAttributes, withUpdate } from './profile-view.ts';
import { stepRegistry, type Effect, type StepContext, type StepHandler, type StepHashes, type StepIO, type StepResult } from './steps/index.ts';

/** A canvas whose steps loop without a delay must not spin forever inside one run. */
const MAX_STEPS_PER_RUN = 100;

export interface Outcome {
  workspaceId: string;
  externalId: string;
  update: EntryUpdate;
  book: CountBook;
  syncItems: NewSyncItem[];
  webhooks: WebhookDelivery[];
  profileSet: Record<string, Json> | null;
}

export interface ExecutorDeps {
  store: Store;
  canvases: CanvasReader;
  io: StepIO;
}

/** Runs one claimed batch; returns the number of entries whose move was committed. */
export async function executeClaimed(deps: ExecutorDeps, claimed: readonly Entry[], leaseId: string, now: number): Promise<number> {
  if (claimed.length === 0) return 0;
  const outcomes: Outcome[] = [];
  for (const [workspaceId, entries] of groupBy(claimed, (e) => e.workspaceId)) {
    const [definitions, profiles, workspace] = await Promise.all([
      deps.canvases.getDefinitions(workspaceId, [...new Map(entries.map((e) => [versionKey(e.canvasId, e.version), { canvasId: e.canvasId, version: e.version }])).values()]),
      deps.store.getProfilesByIds(workspaceId, [...new Set(entries.map((e) => e.profileId))]),
      deps.store.getWorkspace(workspaceId),
    ]);
    const profileById = new Map(profiles.map((p) => [p.id, p]));
    const defaultCountry = workspace?.defaultCountry ?? null;
    outcomes.push(...(await runEntries(deps.io, entries, (e) => ({ definition: definitions.get(versionKey(e.canvasId, e.version)), profile: profileById.get(e.profileId) }), defaultCountry, now)));
  }
  return deps.store.transaction(async (tx) => {
    const settled = await tx.settleEntries(leaseId, outcomes.map((o) => o.update));
    const kept = outcomes.filter((o) => settled.has(o.update.id));
    await writeOutcomes(tx, kept, now);
    return kept.length;
  });
}

/** Runs entries through their steps in memory (handlers may do I/O: webhooks); nothing is written. */
export async function runEntries(
  io: StepIO,
  entries: readonly Entry[],
  input: (e: Entry) => { definition: CanvasDefinition | undefined; profile: Profile | undefined; hashed?: StepHashes },
  defaultCountry: string | null,
  now: number,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(entries.length);
  let next = 0;
  const lane = async () => {
    while (next < entries.length) {
      const i = next++;
      const entry = entries[i]!;
      const { definition, profile, hashed } = input(entry);
      const outcome = runEntry(io, entry, definition, profile, defaultCountry, now, hashed);
      // Only a handler that did I/O makes this lane wait; the rest run without a turn of the event loop.
      outcomes[i] = outcome instanceof Promise ? await outcome : outcome;
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, entries.length) }, lane));
  return outcomes;
}

/** Writes what the outcomes' steps did: sync items, webhook deliveries, profile updates and every count. */
export async function writeOutcomes(tx: Queries, outcomes: readonly Outcome[], now: number): Promise<void> {
  await tx.insertSyncItems(outcomes.flatMap((o) => o.syncItems), now);
  await tx.insertWebhookDeliveries(outcomes.flatMap((o) => o.webhooks), now);
  for (const [workspaceId, group] of groupBy(outcomes.filter((o) => o.profileSet !== null), (o) => o.workspaceId)) {
    const patches: ProfilePatch[] = group.map((o) => ({ externalId: o.externalId, ...splitAttributes(o.profileSet!) }) as ProfilePatch);
    await tx.upsertProfiles(workspaceId, patches, now);
  }
  await tx.addStepCounts(outcomes.flatMap((o) => o.book.deltas));
}

/**
 * `hashed`: the entry's current step is audience_sync and its fields are already hashed (used only
 * there, before any step can change the profile). Synchronous unless a handler answers with a
 * promise (a webhook): at a million users an await per step was a second of the launch's CPU.
 */
function runEntry(io: StepIO, entry: Entry, definition: CanvasDefinition | undefined, profile: Profile | undefined, defaultCountry: string | null, now: number, hashed?: StepHashes): Outcome | Promise<Outcome> {
  const book = new CountBook(entry.workspaceId, entry.canvasId, minuteOf(now));
  // One object per entry, its update filled in at the end, and no closures or maps built per user:
  // at a million users each of those showed in the CPU profile.
  const out: Outcome = { workspaceId: entry.workspaceId, externalId: entry.externalId, book, syncItems: [], webhooks: [], profileSet: null, update: { id: entry.id, stepId: null, status: 'exited', dueAt: null, stepEnteredAt: now, exitedAt: now } };
  // The profile was deleted or the version is unreadable: the user leaves from where they are.
  if (!definition || !profile || entry.stepId === null) {
    if (definition?.steps.find((s) => s.id === entry.stepId)?.type === 'audience_sync' && entry.stepId !== null) {
      book.add(entry.stepId, 'not_synced', 1, 'profile_missing');
      book.add(entry.stepId, 'pending', -1);
    }
    return exited(out, entry.stepId);
  }
  return walk({ io, entry, out, steps: stepsById(definition), stepId: entry.stepId, stepEnteredAt: entry.stepEnteredAt, profile, defaultCountry, now, hashed, taken: 0 });
}

/** Where one user's run stands between steps. */
interface Walk {
  readonly io: StepIO;
  readonly entry: Entry;
  readonly out: Outcome;
  readonly steps: Map<string, StepDefinition>;
  readonly defaultCountry: string | null;
  readonly now: number;
  readonly hashed: StepHashes | undefined;
  stepId: string;
  stepEnteredAt: number;
  profile: Profile;
  taken: number;
}

function walk(w: Walk): Outcome | Promise<Outcome> {
  for (; w.taken < MAX_STEPS_PER_RUN; w.taken++) {
    const step = w.steps.get(w.stepId);
    if (!step) return exited(w.out, w.stepId);
    const ctx = { step, profile: w.profile, entry: w.entry, now: w.now, stepEnteredAt: w.stepEnteredAt, defaultCountry: w.defaultCountry, hashed: w.taken === 0 ? w.hashed : undefined } as StepContext<StepType>;
    const result = (stepRegistry[step.type] as StepHandler<StepType>).execute(ctx, w.io);
    if (result instanceof Promise) {
      return result.then((r) => {
        const done = afterStep(w, step, r);
        if (done) return done;
        w.taken++;
        return walk(w);
      });
    }
    const done = afterStep(w, step, result);
    if (done) return done;
  }
  // Loop guard: park the user at the current step and pick them up in the next run.
  return staying(w.out, w.stepId, w.now, w.stepEnteredAt);
}

/** Applies a step's result; the user's outcome when they stop here, null when they go on to the next step. */
function afterStep(w: Walk, step: StepDefinition, result: StepResult): Outcome | null {
  if (result.kind === 'wait') return staying(w.out, w.stepId, result.until, w.stepEnteredAt);
  for (const effect of result.effects ?? []) w.profile = applyEffect(effect, step, w.entry, w.profile, w.out);
  if (w.entry.exitRequested || result.next === null) return exited(w.out, w.stepId);
  const book = w.out.book;
  book.add(w.stepId, 'proceeded');
  book.add(result.next, 'entered');
  // Users Pending counts from arrival at an audience_sync step, so the step's numbers always add up.
  if (w.steps.get(result.next)?.type === 'audience_sync') book.add(result.next, 'pending');
  w.stepId = result.next;
  w.stepEnteredAt = w.now;
  return null;
}

/** The user leaves the canvas from `stepId` (out.update already says exited). */
function exited(out: Outcome, stepId: string | null): Outcome {
  if (stepId !== null) out.book.add(stepId, 'exited');
  return out;
}

/** The user stays active at `stepId`, due at `dueAt`. */
function staying(out: Outcome, stepId: string, dueAt: number | null, stepEnteredAt: number): Outcome {
  out.update = { id: out.update.id, stepId, status: 'active', dueAt, stepEnteredAt, exitedAt: null };
  return out;
}

const stepMaps = new WeakMap<CanvasDefinition, Map<string, StepDefinition>>();

/** A definition's steps by id, built once per definition object (a batch shares one). */
function stepsById(definition: CanvasDefinition): Map<string, StepDefinition> {
  let m = stepMaps.get(definition);
  if (!m) stepMaps.set(definition, (m = new Map(definition.steps.map((s) => [s.id, s]))));
  return m;
}

function applyEffect(effect: Effect, step: StepDefinition, entry: Entry, profile: Profile, out: { book: CountBook; syncItems: NewSyncItem[]; webhooks: WebhookDelivery[]; profileSet: Record<string, Json> | null }): Profile {
  switch (effect.kind) {
    case 'sync_item': {
      if (step.type !== 'audience_sync') return profile;
      out.syncItems.push({
        workspaceId: entry.workspaceId,
        canvasId: entry.canvasId,
        stepId: step.id,
        entryId: entry.id,
        profileId: entry.profileId,
        advertiserId: step.config.advertiser_id ?? null,
        audienceId: step.config.audience_id ?? null,
        action: step.config.action,
        fields: step.config.fields,
        hashes: effect.hashes,
        outcome: effect.outcome,
        reason: effect.reason,
      });
      // Already counted pending on arrival; a not-synced user moves from pending to not_synced.
      if (effect.outcome === 'not_synced') {
        out.book.add(step.id, 'not_synced', 1, effect.reason ?? '');
        out.book.add(step.id, 'pending', -1);
      }
      return profile;
    }
    case 'webhook_delivery':
      out.webhooks.push({ workspaceId: entry.workspaceId, canvasId: entry.canvasId, stepId: step.id, entryId: entry.id, ok: effect.ok, httpStatus: effect.httpStatus, error: effect.error, attempts: effect.attempts });
      return profile;
    case 'profile_update':
      out.profileSet = { ...(out.profileSet ?? {}), ...effect.set };
      return withUpdate(profile, effect.set);
  }
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
}
