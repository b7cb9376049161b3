/**
 * For one user and one audience the most recent intent wins (spec §2.4, §9), whatever state the older
 * one is in. Intents are ordered by their batch's `seq` (migration 0010), which a split, a retry or a
 * re-send keeps. The sender applies three rules, all batch-level and all free for an audience that
 * has only one action queued (most):
 *   1. a request never carries a user who has a newer intent of the other action (any state): that
 *      user is settled `not_synced` (`superseded`) instead;
 *   2. a queue is not read while a request of the other action for the same audience is in flight,
 *      so TikTok has answered the older request before the newer one leaves; the two actions take
 *      turns (`AudienceTurns`), so a backlog of one never starves the other;
 *   3. an older intent that failed with a transient answer may still have been applied by TikTok
 *      (the answer says nothing about that). When it is superseded and the newer intent was already
 *      acknowledged, the newer one is sent again, after the older one's last chance to land.
 */
import type { Store } from '../store/port.ts';
import type { ClaimedBatch, SyncIntent, SyncQueue } from '../store/sync-port.ts';

/** Per queue, the queues of the other action for the same (workspace, audience); queues without any are absent. */
export function opposingQueues(queues: readonly SyncQueue[]): Map<number, number[]> {
  const byAudience = new Map<string, SyncQueue[]>();
  for (const q of queues) {
    const key = `${q.workspaceId}|${q.audienceId}`;
    byAudience.set(key, [...(byAudience.get(key) ?? []), q]);
  }
  const out = new Map<number, number[]>();
  for (const group of byAudience.values()) {
    for (const q of group) {
      const other = group.filter((o) => o.action !== q.action).map((o) => o.id);
      if (other.length > 0) out.set(q.id, other);
    }
  }
  return out;
}

/**
 * Rule 2: a queue ready to send goes only when no queue of the other action for its audience has a
 * request in flight. One that had to wait goes before the other action's next request (fair turns).
 */
export class AudienceTurns {
  private readonly waiting = new Set<number>();
  constructor(
    private readonly opposites: () => ReadonlyMap<number, readonly number[]>,
    private readonly inFlight: (queueId: number) => boolean,
  ) {}

  /** Whether the queue, ready to send, may send now; if not, it waits its turn. */
  mayGo(queueId: number): boolean {
    const others = this.opposites().get(queueId);
    if (!others) return true;
    if (others.some((o) => this.inFlight(o))) {
      this.waiting.add(queueId);
      return false;
    }
    // The other action has waited for one of ours: its turn first. (Both waiting cannot happen: a
    // queue waits only while the other is in flight, and a queue in flight is not waiting.)
    if (!this.waiting.has(queueId) && others.some((o) => this.waiting.has(o))) return false;
    this.waiting.delete(queueId);
    return true;
  }

  /** The queue has nothing ready: it is not waiting. */
  idle(queueId: number): void {
    this.waiting.delete(queueId);
  }
}

export interface Conflicts {
  /** Per batch, the positions of users with a newer intent of the other action: they are not sent. */
  superseded: Map<number, Set<number>>;
  /** Acknowledged newer intents that an older, failed attempt may have overtaken at TikTok: sent again. */
  resend: { batchId: number; position: number }[];
}

/** Rules 1 and 3 for a request about to leave: two set-based reads, the second only when rule 3 applies. */
export async function findConflicts(store: Pick<Store, 'intentsAfter'>, queue: SyncQueue, claimed: readonly ClaimedBatch[]): Promise<Conflicts> {
  const superseded = new Map<number, Set<number>>();
  const profileIds = claimed.flatMap((b) => b.users.map((u) => u.profileId));
  if (profileIds.length === 0) return { superseded, resend: [] };
  const key = { workspaceId: queue.workspaceId, audienceId: queue.audienceId };
  const newest = latestByProfile(await store.intentsAfter({ ...key, action: queue.action === 'add' ? 'remove' : 'add', profileIds, after: Math.min(...claimed.map((b) => b.seq)) }));
  const again = new Map<number, SyncIntent>();
  for (const b of claimed) {
    for (const u of b.users) {
      const newer = newest.get(u.profileId);
      if (!newer || newer.seq <= b.seq) continue;
      const positions = superseded.get(b.id) ?? new Set<number>();
      positions.add(u.position);
      superseded.set(b.id, positions);
      if (b.failedAttempts > 0 && newer.synced) again.set(u.profileId, newer);
    }
  }
  if (again.size === 0) return { superseded, resend: [] };
  // Not when an even newer intent of this queue's action exists: that one is the latest, and is sent.
  const later = await store.intentsAfter({ ...key, action: queue.action, profileIds: [...again.keys()], after: Math.min(...[...again.values()].map((i) => i.seq)) });
  for (const i of later) if (i.seq > again.get(i.profileId)!.seq) again.delete(i.profileId);
  return { superseded, resend: [...again.values()].map((i) => ({ batchId: i.batchId, position: i.position })) };
}

function latestByProfile(intents: readonly SyncIntent[]): Map<number, SyncIntent> {
  const out = new Map<number, SyncIntent>();
  for (const i of intents) {
    const seen = out.get(i.profileId);
    if (!seen || i.seq > seen.seq) out.set(i.profileId, i);
  }
  return out;
}
