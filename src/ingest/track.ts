/**
 * Writes one batch of parsed users and events inside the caller's transaction, set-based: one
 * profile upsert, one event insert, then the journey engine's `afterTrack` in the same transaction
 * (event-triggered entries and exit rules see exactly what was committed with them). Used by
 * `POST /api/users/track` and by `cohort import`.
 */
import type { NewEvent, Profile, ProfilePatch, Queries } from '../store/port.ts';

/** The engine hook, structurally the same as `EngineHooks` in api/deps.ts (ingest does not import api/). */
export interface TrackHooks {
  afterTrack(tx: Queries, workspaceId: string, written: { profiles: readonly Profile[]; events: readonly NewEvent[] }, now: number): Promise<void>;
}

export interface TrackBatch {
  patches: readonly ProfilePatch[];
  events: readonly NewEvent[];
}

/**
 * Needs a transaction. Set-based: a bounded number of statements per 500 rows. Users named only by
 * events are created with an empty profile when missing, and left untouched (not even `updated_at`)
 * when they exist. `afterTrack` receives every profile the batch touched: the upserted ones and the
 * existing profiles of event-only users.
 */
export async function writeTrack(tx: Queries, hooks: TrackHooks, workspaceId: string, batch: TrackBatch, now: number): Promise<Profile[]> {
  if (batch.patches.length === 0 && batch.events.length === 0) return [];
  const patched = new Set(batch.patches.map((p) => p.externalId));
  const eventOnly = [...new Set(batch.events.map((e) => e.externalId))].filter((id) => !patched.has(id));
  const existing = eventOnly.length > 0 ? await tx.getProfilesByExternalIds(workspaceId, eventOnly) : [];
  const known = new Set(existing.map((p) => p.externalId));
  const created: ProfilePatch[] = eventOnly.filter((id) => !known.has(id)).map((externalId) => ({ externalId, standard: {}, custom: {} }));

  const upserted = await tx.upsertProfiles(workspaceId, created.length > 0 ? [...batch.patches, ...created] : batch.patches, now);
  if (batch.events.length > 0) await tx.insertEvents(workspaceId, batch.events, now);
  const profiles = existing.length > 0 ? [...upserted, ...existing] : upserted;
  await hooks.afterTrack(tx, workspaceId, { profiles, events: batch.events }, now);
  return profiles;
}
