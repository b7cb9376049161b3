/** Durations as editors show them (a number and a unit) and as the canvas stores them (seconds). Pure. */

export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'days';

export const UNIT_SECONDS: Record<DurationUnit, number> = { seconds: 1, minutes: 60, hours: 3_600, days: 86_400 };
export const DURATION_UNITS = Object.keys(UNIT_SECONDS) as DurationUnit[];

/** The largest unit that divides `seconds` evenly: 7200 → 2 hours; 90 → 90 seconds; 0 → 0 `fallback`. */
export function splitDuration(seconds: number, fallback: DurationUnit = 'hours'): { n: number; unit: DurationUnit } {
  if (seconds === 0) return { n: 0, unit: fallback };
  for (const unit of [...DURATION_UNITS].reverse()) {
    const size = UNIT_SECONDS[unit];
    if (seconds % size === 0) return { n: seconds / size, unit };
  }
  return { n: seconds, unit: 'seconds' };
}

/** "1 hour", "90 seconds", "2 days". */
export function durationWords(seconds: number): string {
  const { n, unit } = splitDuration(seconds, 'seconds');
  return `${n.toLocaleString('en')} ${n === 1 ? unit.slice(0, -1) : unit}`;
}
