import { minuteOf } from '../core/clock.ts';
import type { StepCountDelta } from '../store/journey-port.ts';
import type { SettledTally } from '../store/sync-port.ts';

/**
 * The counts of settled sync items: +n on the outcome (with its reason), −n on `pending`, written in
 * the transaction that settled them, so `entered = synced + not_synced + pending + errored` holds.
 */
export function outcomeDeltas(tallies: readonly SettledTally[], outcome: 'synced' | 'errored' | 'not_synced', reason: string | null, now: number): StepCountDelta[] {
  const minute = minuteOf(now);
  return tallies.flatMap((t) => [
    { workspaceId: t.workspaceId, canvasId: t.canvasId, stepId: t.stepId, metric: outcome, reason: outcome === 'synced' ? '' : (reason ?? ''), minute, count: t.count },
    { workspaceId: t.workspaceId, canvasId: t.canvasId, stepId: t.stepId, metric: 'pending', reason: '', minute, count: -t.count },
  ]);
}

/** The counts of synced items sent again (sync/intents.ts, rule 3): −n on `synced`, +n on `pending`, in the transaction that moved them. */
export function resentDeltas(tallies: readonly SettledTally[], now: number): StepCountDelta[] {
  const minute = minuteOf(now);
  return tallies.flatMap((t) => [
    { workspaceId: t.workspaceId, canvasId: t.canvasId, stepId: t.stepId, metric: 'synced', reason: '', minute, count: -t.count },
    { workspaceId: t.workspaceId, canvasId: t.canvasId, stepId: t.stepId, metric: 'pending', reason: '', minute, count: t.count },
  ]);
}
