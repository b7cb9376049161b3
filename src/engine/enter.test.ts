import { describe, expect, it } from 'vitest';
import { parseCanvas } from '../core/canvas.ts';
import type { CanvasSnapshot } from './canvas-reader.ts';
import { eligible } from './enter.ts';

const NOW = 1_000_000_000;

function canvas(reentry: { allowed: boolean; after_seconds: number }): CanvasSnapshot {
  const parsed = parseCanvas({
    name: 'c', entry: { type: 'scheduled', at: null }, first_step: 'w', reentry,
    steps: [{ id: 'w', type: 'delay', next: null, config: { seconds: 60 } }],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return { id: 'c1', workspaceId: 'w1', status: 'active', version: 1, definition: parsed.canvas };
}

/** Prior entries of these profiles: [profileId, active, lastEnteredAt]. */
const priors = (list: [number, boolean, number][]) => ({
  priorEntries: async (_canvasId: string, ids: readonly number[]) =>
    list.filter(([id]) => ids.includes(id)).map(([profileId, active, lastEnteredAt]) => ({ profileId, active, lastEnteredAt })),
  hasEntryMarks: async () => false,
  priorEntryMarks: async () => [],
});

type Item = { id: number; vip: boolean };
const item = (id: number, vip = true): Item => ({ id, vip });
const ids = (items: Item[]) => items.map((i) => i.id);

describe('eligible', () => {
  it('keeps each profile once, its first occurrence in the audience, in order, also when ids come unsorted', async () => {
    const items = [item(1), item(4), item(2, false), item(3), item(2), item(4), item(5), item(1), item(3)];
    const got = await eligible(priors([]), canvas({ allowed: false, after_seconds: 0 }), items, (i) => i.id, (i) => i.vip, NOW);
    expect(ids(got)).toEqual([1, 4, 3, 2, 5]);
    expect(got[1]).toBe(items[1]);
  });

  it('keeps an ascending chunk whole when no one entered before', async () => {
    const items = Array.from({ length: 1_000 }, (_, i) => item(10 + 2 * i));
    const got = await eligible(priors([]), canvas({ allowed: false, after_seconds: 0 }), items, (i) => i.id, null, NOW);
    expect(got).toEqual(items);
  });

  it('refuses active entries, any earlier entry without re-entry, and re-entry too soon', async () => {
    const items = [item(1), item(2), item(3), item(4)];
    const history = priors([[1, true, NOW - 10_000_000], [2, false, NOW - 100_000], [3, false, NOW - 1_000]]);
    expect(ids(await eligible(history, canvas({ allowed: false, after_seconds: 0 }), items, (i) => i.id, null, NOW))).toEqual([4]);
    expect(ids(await eligible(history, canvas({ allowed: true, after_seconds: 60 }), items, (i) => i.id, null, NOW))).toEqual([2, 4]);
    expect(ids(await eligible(history, canvas({ allowed: true, after_seconds: 0 }), items, (i) => i.id, null, NOW))).toEqual([2, 3, 4]);
  });
});
