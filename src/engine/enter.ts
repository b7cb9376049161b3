/**
 * Entering users into a canvas: the entry audience, re-entry rules and one active entry per user,
 * set-based (a few statements per call whatever its size). Runs inside the caller's transaction,
 * which also counts `entered` on the first step, so the count cannot drift from the rows.
 */
import { matches } from '../core/filter.ts';
import type { NewEntry } from '../store/journey-port.ts';
import type { Json, Profile, Queries } from '../store/port.ts';
import type { CanvasSnapshot } from './canvas-reader.ts';
import { CountBook, minuteOf } from './counts.ts';
import { attributeReader } from './profile-view.ts';

export interface Candidate {
  profile: Profile;
  context?: Record<string, Json> | null;
  dispatchId?: string | null;
}

export async function enterUsers(tx: Queries, canvas: CanvasSnapshot, candidates: readonly Candidate[], now: number): Promise<number> {
  const eligible = await eligibleCandidates(tx, canvas, candidates, now);
  if (eligible.length === 0) return 0;
  const inserted = await tx.insertEntries(eligible.map((c) => newEntry(canvas, c)), now);
  await tx.addStepCounts(arrivalCounts(canvas, inserted.length, now));
  return inserted.length;
}

/** The candidates that may enter now: in the entry audience, once each, and allowed by the re-entry rule. */
export function eligibleCandidates(q: Pick<Queries, 'priorEntries' | 'hasEntryMarks' | 'priorEntryMarks'>, canvas: CanvasSnapshot, candidates: readonly Candidate[], now: number): Promise<Candidate[]> {
  const audience = canvas.definition.audience;
  return eligible(q, canvas, candidates, (c) => c.profile.id, (c) => matches(audience, attributeReader(c.profile)), now);
}

/**
 * `eligibleCandidates` for any kind of item that names a profile (a launch may read only ids and
 * identifiers: launcher.ts). `inAudience` may be left out only when the canvas has no entry audience.
 */
export async function eligible<T>(q: Pick<Queries, 'priorEntries' | 'hasEntryMarks' | 'priorEntryMarks'>, canvas: CanvasSnapshot, items: readonly T[], idOf: (t: T) => number, inAudience: ((t: T) => boolean) | null, now: number): Promise<T[]> {
  if (canvas.status !== 'active' || canvas.definition.first_step === null || items.length === 0) return [];
  if (!inAudience && canvas.definition.audience) throw new Error('the canvas has an entry audience: its items must be checked against it');
  // Once each: a launch's chunk comes in id order, so its ids are unique without a Map (10,000 a chunk).
  const ids: number[] = [];
  let kept: T[] | null = null; // null while every item is kept: then the items themselves, not a copy
  let last = -Infinity;
  let seen: Set<number> | undefined;
  for (let i = 0; i < items.length; i++) {
    const t = items[i]!;
    const id = idOf(t);
    if (id <= last) seen ??= new Set(ids);
    else last = id;
    if (seen?.has(id) || (inAudience && !inAudience(t))) {
      kept ??= items.slice(0, i);
      continue;
    }
    seen?.add(id);
    ids.push(id);
    kept?.push(t);
  }
  if (ids.length === 0) return [];
  const { allowed, after_seconds } = canvas.definition.reentry;
  const refused = new Set<number>();
  for (const prior of await q.priorEntries(canvas.id, ids)) {
    if (prior.active || !allowed || now - prior.lastEnteredAt < after_seconds * 1000) refused.add(prior.profileId);
  }
  // Entries retention pruned (engine/retention.ts) count by their last entry time; a canvas none was
  // pruned from costs one probe.
  if ((!allowed || after_seconds > 0) && (await q.hasEntryMarks(canvas.id))) {
    for (const mark of await q.priorEntryMarks(canvas.id, ids)) {
      if (!allowed || now - mark.lastEnteredAt < after_seconds * 1000) refused.add(mark.profileId);
    }
  }
  const all = kept ?? items.slice();
  return refused.size === 0 ? all : all.filter((t) => !refused.has(idOf(t)));
}

export function newEntry(canvas: CanvasSnapshot, c: Candidate, state?: NewEntry['state']): NewEntry {
  return {
    state,
    workspaceId: canvas.workspaceId,
    canvasId: canvas.id,
    version: canvas.version,
    profileId: c.profile.id,
    externalId: c.profile.externalId,
    stepId: canvas.definition.first_step!,
    context: c.context ?? null,
    dispatchId: c.dispatchId ?? null,
  };
}

/** `entered` on the first step, and `pending` when it is an audience_sync step (a user there is pending from arrival; executor.ts keeps this in step). */
export function arrivalCounts(canvas: CanvasSnapshot, entered: number, now: number): CountBook['deltas'] {
  const first = canvas.definition.first_step;
  const book = new CountBook(canvas.workspaceId, canvas.id, minuteOf(now));
  if (first === null || entered === 0) return book.deltas;
  book.add(first, 'entered', entered);
  if (canvas.definition.steps.find((s) => s.id === first)?.type === 'audience_sync') book.add(first, 'pending', entered);
  return book.deltas;
}
