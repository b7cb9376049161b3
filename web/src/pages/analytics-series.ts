/**
 * The per-minute chart's data from the analytics answer's `series` (spec §4: points
 * `{minute, step_id, …counts}`, one per minute and step that had a change).
 *
 * One line set for the whole canvas, summed over its Audience Sync steps, not one per step: the table
 * above it already gives each step's numbers, and three lines per step would be unreadable on a canvas
 * with several sync steps. The counts are per-minute changes, so a minute can be negative (errored
 * users retried leave `errored` in the minute of the retry).
 */
import type { SeriesPoint } from '../api/types.ts';

/** The analytics answer's query key: the page polls it, Retry errored users refreshes it. */
export const analyticsKey = (canvasId: string) => ['analytics', canvasId] as const;

const MINUTE = 60_000;
/** At most a day of minutes on the axis: beyond that a line of 1-minute points is a smear. */
const MAX_MINUTES = 24 * 60;
/** At least a quarter of an hour, so that one busy minute is a point in context, not the whole chart. */
const MIN_MINUTES = 15;

export interface ChartData {
  /** Minute starts, in seconds (uPlot's time unit). */
  xs: number[];
  synced: number[];
  notSynced: number[];
  errored: number[];
  totals: { synced: number; notSynced: number; errored: number };
  /** Whether older minutes were left out to keep to MAX_MINUTES. */
  truncated: boolean;
}

const num = (v: string | number | undefined): number => (typeof v === 'number' ? v : 0);

/** Null when no user has reached an Audience Sync step yet (the chart's empty state). */
export function chartData(series: readonly SeriesPoint[], syncSteps: ReadonlySet<string>, now: number): ChartData | null {
  const byMinute = new Map<number, { synced: number; notSynced: number; errored: number }>();
  for (const p of series) {
    if (!syncSteps.has(p.step_id)) continue;
    const minute = Math.floor(Date.parse(p.minute) / MINUTE) * MINUTE;
    if (!Number.isFinite(minute)) continue;
    const at = byMinute.get(minute) ?? { synced: 0, notSynced: 0, errored: 0 };
    at.synced += num(p.synced);
    at.notSynced += num(p.not_synced);
    at.errored += num(p.errored);
    byMinute.set(minute, at);
  }
  if (byMinute.size === 0) return null;
  const minutes = [...byMinute.keys()];
  const first = Math.min(...minutes);
  // Up to the current minute, so the line drops to zero once users stop arriving.
  const end = Math.max(Math.max(...minutes), Math.floor(now / MINUTE) * MINUTE);
  const start = Math.min(Math.max(first, end - (MAX_MINUTES - 1) * MINUTE), end - (MIN_MINUTES - 1) * MINUTE);
  const data: ChartData = { xs: [], synced: [], notSynced: [], errored: [], totals: { synced: 0, notSynced: 0, errored: 0 }, truncated: first < start };
  for (let m = start; m <= end; m += MINUTE) {
    const at = byMinute.get(m) ?? { synced: 0, notSynced: 0, errored: 0 };
    data.xs.push(m / 1000);
    data.synced.push(at.synced);
    data.notSynced.push(at.notSynced);
    data.errored.push(at.errored);
    data.totals.synced += at.synced;
    data.totals.notSynced += at.notSynced;
    data.totals.errored += at.errored;
  }
  return data;
}
