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
  const first = canvas.definition.first_step;
  if (canvas.status !== 'active' || first === null || candidates.length === 0) return 0;
  const eligible = new Map<number, Candidate>();
  for (const c of candidates) {
    if (!eligible.has(c.profile.id) && matches(canvas.definition.audience, attributeReader(c.profile))) eligible.set(c.profile.id, c);
  }
  if (eligible.size === 0) return 0;
  const { allowed, after_seconds } = canvas.definition.reentry;
  for (const prior of await tx.priorEntries(canvas.id, [...eligible.keys()])) {
    if (prior.active || !allowed || now - prior.lastEnteredAt < after_seconds * 1000) eligible.delete(prior.profileId);
  }
  const rows: NewEntry[] = [...eligible.values()].map((c) => ({
    workspaceId: canvas.workspaceId,
    canvasId: canvas.id,
    version: canvas.version,
    profileId: c.profile.id,
    externalId: c.profile.externalId,
    stepId: first,
    context: c.context ?? null,
    dispatchId: c.dispatchId ?? null,
  }));
  const inserted = await tx.insertEntries(rows, now);
  const book = new CountBook(canvas.workspaceId, canvas.id, minuteOf(now));
  book.add(first, 'entered', inserted.length);
  // A user in an audience_sync step is pending from arrival (executor.ts keeps this in step).
  if (canvas.definition.steps.find((s) => s.id === first)?.type === 'audience_sync') book.add(first, 'pending', inserted.length);
  await tx.addStepCounts(book.deltas);
  return inserted.length;
}
