/**
 * Runs claimed entries through their steps. Handlers run in memory and do no I/O (a webhook step
 * renders its request for the outbox and parks the user: webhook-sender.ts calls it); then one
 * transaction, fenced by the claim's lease, moves the users and writes every effect and count. A
 * crash before that commit leaves the claim to expire and the batch to run again: counts never double.
 *
 * One user's entry fails alone (spec §9). An exception while running it (a template past its caps,
 * a value the database would refuse: storable.ts) ends that entry `failed` where it was, with a
 * reason, counted `failed` on the step; and a commit the database refuses anyway is retried in
 * halves until the guilty entries are alone (commit-split.ts). The rest of the batch commits.
 */
import type { CanvasDefinition, StepDefinition, StepType } from '../core/canvas.ts';
import { CohortError } from '../core/errors.ts';
import type { Entry, EntryUpdate, NewSyncItem, WebhookDelivery } from '../store/journey-port.ts';
import type { Json, Profile, ProfilePatch, Queries, Store } from '../store/port.ts';
import type { NewWebhookCall } from '../store/webhook-port.ts';
import { versionKey, type CanvasReader } from './canvas-reader.ts';
import { commitSplit } from './commit-split.ts';
import { CountBook, minuteOf } from './counts.ts';
import { splitAttributes, withUpdate } from './profile-view.ts';
import { stepRegistry, type Effect, type StepContext, type StepHandler, type StepHashes, type StepResult } from './steps/index.ts';
import { assertStorableAttributes, assertStorableRequest } from './storable.ts';

/** A canvas whose steps loop without a delay must not spin forever inside one run. */
const MAX_STEPS_PER_RUN = 100;

/** The reason of an entry whose commit the database refused even alone. */
export const WRITE_REFUSED = 'write_refused';

export interface Outcome {
  workspaceId: string;
  externalId: string;
  update: EntryUpdate;
  book: CountBook;
  syncItems: NewSyncItem[];
  /** Webhook calls for the outbox: the user is parked at the step until the call ends. */
  outbox: NewWebhookCall[];
  /** A webhook call that ended (the sender moving a parked user on): recorded with the move. */
  delivery: WebhookDelivery | null;
  profileSet: Record<string, Json> | null;
}

export interface ExecutorDeps {
  store: Store;
  canvases: CanvasReader;
}

/** Runs one claimed batch; returns the number of entries whose move was committed (failed ones included). */
export async function executeClaimed(deps: ExecutorDeps, claimed: readonly Entry[], leaseId: string, now: number): Promise<number> {
  if (claimed.length === 0) return 0;
  const outcomes: Outcome[] = [];
  const definitionsOf = new Map<string, Map<string, CanvasDefinition>>();
  for (const [workspaceId, entries] of groupBy(claimed, (e) => e.workspaceId)) {
    const [definitions, profiles, workspace] = await Promise.all([
      deps.canvases.getDefinitions(workspaceId, [...new Map(entries.map((e) => [versionKey(e.canvasId, e.version), { canvasId: e.canvasId, version: e.version }])).values()]),
      deps.store.getProfilesByIds(workspaceId, [...new Set(entries.map((e) => e.profileId))]),
      deps.store.getWorkspace(workspaceId),
    ]);
    definitionsOf.set(workspaceId, definitions);
    const profileById = new Map(profiles.map((p) => [p.id, p]));
    const defaultCountry = workspace?.defaultCountry ?? null;
    for (const o of runEntries(entries, (e) => ({ definition: definitions.get(versionKey(e.canvasId, e.version)), profile: profileById.get(e.profileId) }), defaultCountry, now)) outcomes.push(o);
  }
  return commitSplit(
    deps.store,
    outcomes,
    async (tx, part) => {
      const settled = await tx.settleEntries(leaseId, part.map((o) => o.update));
      const kept = part.filter((o) => settled.has(o.update.id));
      await writeOutcomes(tx, kept, now);
      return kept.length;
    },
    // Refused even alone: the entry fails where it was claimed, nothing of its run written.
    (o) => {
      const entry = claimed.find((e) => e.id === o.update.id)!;
      const failed = failedOutcome(entry, definitionsOf.get(entry.workspaceId)?.get(versionKey(entry.canvasId, entry.version)), WRITE_REFUSED, now);
      return deps.store.transaction(async (tx) => {
        if (!(await tx.settleEntries(leaseId, [failed.update])).has(entry.id)) return 0;
        await writeOutcomes(tx, [failed], now);
        return 1;
      });
    },
  );
}

/** Runs entries through their steps in memory; nothing is written. One entry's exception is that entry's failure. */
export function runEntries(
  entries: readonly Entry[],
  input: (e: Entry) => { definition: CanvasDefinition | undefined; profile: Profile | undefined; hashed?: StepHashes },
  defaultCountry: string | null,
  now: number,
): Outcome[] {
  const outcomes: Outcome[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const { definition, profile, hashed } = input(entry);
    outcomes[i] = runEntry(entry, definition, profile, defaultCountry, now, hashed);
  }
  return outcomes;
}

/** Writes what the outcomes' steps did: sync items, webhook calls and deliveries, profile updates and every count. */
export async function writeOutcomes(tx: Queries, outcomes: readonly Outcome[], now: number): Promise<void> {
  await tx.insertSyncItems(outcomes.flatMap((o) => o.syncItems), now);
  await tx.insertWebhookCalls(outcomes.flatMap((o) => o.outbox), now);
  // A loop, not flatMap: no array per outcome (a batch holds 10,000 and almost none has a delivery).
  const deliveries: WebhookDelivery[] = [];
  for (const o of outcomes) if (o.delivery) deliveries.push(o.delivery);
  await tx.insertWebhookDeliveries(deliveries, now);
  for (const [workspaceId, group] of groupBy(outcomes.filter((o) => o.profileSet !== null), (o) => o.workspaceId)) {
    const patches: ProfilePatch[] = group.map((o) => ({ externalId: o.externalId, ...splitAttributes(o.profileSet!) }) as ProfilePatch);
    await tx.upsertProfiles(workspaceId, patches, now);
  }
  await tx.addStepCounts(outcomes.flatMap((o) => o.book.deltas));
}

/**
 * A user parked at a webhook step whose call ended goes on as anyone leaving a step does: the
 * step's proceeded (or exited, at `next: null` or an exit requested), the next step's entered (and
 * pending at an audience_sync step), and the user due at once at the next step for the worker.
 * The delivery is recorded with the move. Without the definition or the step, the user exits there.
 */
export function resumeParked(entry: Entry, definition: CanvasDefinition | undefined, delivery: WebhookDelivery, now: number): Outcome {
  const out = newOutcome(entry, now);
  out.delivery = delivery;
  const steps = definition ? stepsById(definition) : null;
  const step = entry.stepId === null ? undefined : steps?.get(entry.stepId);
  if (!steps || !step || step.type !== 'webhook') return exited(out, entry.stepId);
  if (entry.exitRequested || step.next === null) return exited(out, step.id);
  countMove(out.book, steps, step.id, step.next);
  return staying(out, step.next, now, now);
}

/** The entry fails at the step it is in (`failure_reason`), its run discarded: for a commit refused even alone. */
export function failedOutcome(entry: Entry, definition: CanvasDefinition | undefined, reason: string, now: number): Outcome {
  const out = newOutcome(entry, now);
  if (entry.stepId === null) return out;
  return failed(out, definition ? stepsById(definition) : null, entry.stepId, entry.stepEnteredAt, reason, now);
}

function newOutcome(entry: Entry, now: number): Outcome {
  // One object per entry, its update filled in at the end, and no closures or maps built per user:
  // at a million users each of those showed in the CPU profile.
  return { workspaceId: entry.workspaceId, externalId: entry.externalId, book: new CountBook(entry.workspaceId, entry.canvasId, minuteOf(now)), syncItems: [], outbox: [], delivery: null, profileSet: null, update: { id: entry.id, stepId: null, status: 'exited', dueAt: null, stepEnteredAt: now, exitedAt: now } };
}

/** `hashed`: the entry's current step is audience_sync and its fields are already hashed (used only there, before any step can change the profile). */
function runEntry(entry: Entry, definition: CanvasDefinition | undefined, profile: Profile | undefined, defaultCountry: string | null, now: number, hashed?: StepHashes): Outcome {
  const out = newOutcome(entry, now);
  // The profile was deleted or the version is unreadable: the user leaves from where they are.
  if (!definition || !profile || entry.stepId === null) {
    if (definition?.steps.find((s) => s.id === entry.stepId)?.type === 'audience_sync' && entry.stepId !== null) {
      out.book.add(entry.stepId, 'not_synced', 1, 'profile_missing');
      out.book.add(entry.stepId, 'pending', -1);
    }
    return exited(out, entry.stepId);
  }
  const w: Walk = { entry, out, steps: stepsById(definition), stepId: entry.stepId, stepEnteredAt: entry.stepEnteredAt, profile, defaultCountry, now, hashed, taken: 0 };
  try {
    return walk(w);
  } catch (error) {
    // What the steps before this one did stands; the user fails at this step.
    return failed(w.out, w.steps, w.stepId, w.stepEnteredAt, error instanceof CohortError ? error.code : 'step_error', now);
  }
}

/** Where one user's run stands between steps. */
interface Walk {
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

function walk(w: Walk): Outcome {
  for (; w.taken < MAX_STEPS_PER_RUN; w.taken++) {
    const step = w.steps.get(w.stepId);
    if (!step) return exited(w.out, w.stepId);
    const ctx = { step, profile: w.profile, entry: w.entry, now: w.now, stepEnteredAt: w.stepEnteredAt, defaultCountry: w.defaultCountry, hashed: w.taken === 0 ? w.hashed : undefined } as StepContext<StepType>;
    const done = afterStep(w, step, (stepRegistry[step.type] as StepHandler<StepType>).execute(ctx));
    if (done) return done;
  }
  // Loop guard: park the user at the current step and pick them up in the next run.
  return staying(w.out, w.stepId, w.now, w.stepEnteredAt);
}

/** Applies a step's result; the user's outcome when they stop here, null when they go on to the next step. */
function afterStep(w: Walk, step: StepDefinition, result: StepResult): Outcome | null {
  if (result.kind === 'wait') return staying(w.out, w.stepId, result.until, w.stepEnteredAt);
  for (const effect of result.effects ?? []) w.profile = applyEffect(effect, step, w.entry, w.profile, w.out);
  // Parked: active and not due, until the runtime moves the user on (resumeParked).
  if (result.kind === 'park') return staying(w.out, w.stepId, null, w.stepEnteredAt);
  if (w.entry.exitRequested || result.next === null) return exited(w.out, w.stepId);
  countMove(w.out.book, w.steps, w.stepId, result.next);
  w.stepId = result.next;
  w.stepEnteredAt = w.now;
  return null;
}

/** A user going from one step to the next. Users Pending counts from arrival at an audience_sync step, so the step's numbers always add up. */
function countMove(book: CountBook, steps: Map<string, StepDefinition>, from: string, to: string): void {
  book.add(from, 'proceeded');
  book.add(to, 'entered');
  if (steps.get(to)?.type === 'audience_sync') book.add(to, 'pending');
}

/** The user leaves the canvas from `stepId` (out.update already says exited). */
function exited(out: Outcome, stepId: string | null): Outcome {
  if (stepId !== null) out.book.add(stepId, 'exited');
  return out;
}

/** The user stays active at `stepId`, due at `dueAt` (null: parked). */
function staying(out: Outcome, stepId: string, dueAt: number | null, stepEnteredAt: number): Outcome {
  out.update = { id: out.update.id, stepId, status: 'active', dueAt, stepEnteredAt, exitedAt: null };
  return out;
}

/**
 * The entry ends `failed` at `stepId`, counted `failed` (with the reason) on the step, so that at rest
 * entered = proceeded + exited + waiting + failed. At an audience_sync step the user also moves from
 * pending to errored (same reason): entered = synced + not_synced + pending + errored still holds.
 */
function failed(out: Outcome, steps: Map<string, StepDefinition> | null, stepId: string, stepEnteredAt: number, reason: string, now: number): Outcome {
  out.update = { id: out.update.id, stepId, status: 'failed', dueAt: null, stepEnteredAt, exitedAt: now, failureReason: reason };
  out.book.add(stepId, 'failed', 1, reason);
  if (steps?.get(stepId)?.type === 'audience_sync') {
    out.book.add(stepId, 'pending', -1);
    out.book.add(stepId, 'errored', 1, reason);
  }
  return out;
}

const stepMaps = new WeakMap<CanvasDefinition, Map<string, StepDefinition>>();

/** A definition's steps by id, built once per definition object (a batch shares one). */
function stepsById(definition: CanvasDefinition): Map<string, StepDefinition> {
  let m = stepMaps.get(definition);
  if (!m) stepMaps.set(definition, (m = new Map(definition.steps.map((s) => [s.id, s]))));
  return m;
}

/** Checks before it records (storable.ts): a value the database would refuse fails this entry, not the batch. */
function applyEffect(effect: Effect, step: StepDefinition, entry: Entry, profile: Profile, out: Outcome): Profile {
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
    case 'webhook_request':
      assertStorableRequest(effect.request);
      out.outbox.push({ workspaceId: entry.workspaceId, canvasId: entry.canvasId, version: entry.version, stepId: step.id, entryId: entry.id, request: effect.request });
      return profile;
    case 'profile_update':
      assertStorableAttributes(effect.set);
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
