/**
 * Applying a validated mapping request to audience membership, and what `cover_num` shows of it.
 *
 * cover_num (reference §7.4): TikTok shows sizes only from about 1,000 and reflects changes after a delay
 * (24–48 h in production; `coverDelayMs` here). Instead of a timestamp per member (a million members would
 * mean a million timestamps), each audience keeps its size after every applied request, so the delayed
 * size is exact at request granularity: the size after the last request applied at least `delayMs` ago.
 */
import { DigestSet } from './digest-set.ts';
import type { Audience } from './state.ts';
import { hexLength, type IdSchema, type MappingRequest } from './mapping.ts';

/** "Size display: shown only after it reaches ~1,000" (reference §6). */
export const COVER_THRESHOLD = 1_000;

function setOf(audience: Audience, schema: IdSchema): DigestSet {
  let set = audience.members.get(schema);
  if (!set) {
    set = new DigestSet(hexLength(schema) / 2);
    audience.members.set(schema, set);
  }
  return set;
}

/**
 * Adds or removes every identifier of the request. `audiences` must hold exactly the audiences the request
 * names (checked beforehand). Hashes are stored as bytes, so that case never makes two members of one user.
 * Deleting an identifier that is not a member is a no-op (reference §3.5, INFERRED).
 */
export function applyMapping(
  req: MappingRequest,
  audiences: ReadonlyMap<string, Audience>,
  now: number,
  delayMs: number,
): void {
  const add = req.action === 'add';
  // The target set per (audience, column), looked up once per request rather than once per cell.
  const sets = req.audienceIds.map((id) => req.schemas.map((s) => setOf(audiences.get(id)!, s)));
  const { hex, list } = req.ids;
  for (let i = 0; i < list.length; i += 3) {
    const set = sets[list[i + 2]!]![list[i + 1]!]!;
    if (add) set.addAt(hex, list[i]!);
    else set.deleteAt(hex, list[i]!);
  }
  for (const audience of audiences.values()) {
    let size = 0;
    for (const set of audience.members.values()) size += set.size;
    audience.size = size;
    if (delayMs <= 0) continue; // no delay: cover_num reads `size`, the log would only grow
    delayedSize(audience, now - delayMs); // prunes entries that can no longer be the visible one
    const last = audience.sizeLog[audience.sizeLog.length - 1];
    if (last && last.at === now) last.size = size;
    else audience.sizeLog.push({ at: now, size });
  }
}

/** The size TikTok would report now: the delayed size, or 0 under the display threshold. */
export function coverNum(audience: Audience, now: number, delayMs: number): number {
  const visible = delayMs <= 0 ? audience.size : delayedSize(audience, now - delayMs);
  return visible < COVER_THRESHOLD ? 0 : visible;
}

function delayedSize(audience: Audience, asOf: number): number {
  const log = audience.sizeLog;
  let i = -1;
  while (i + 1 < log.length && log[i + 1]!.at <= asOf) i++;
  if (i < 0) return 0;
  // Entries before the visible one can never be visible again (time only moves forward): drop them.
  if (i > 0) log.splice(0, i);
  return log[0]!.size;
}
