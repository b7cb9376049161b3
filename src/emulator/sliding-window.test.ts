import { describe, expect, it } from 'vitest';
import { KeyedWindows } from './sliding-window.ts';

describe('KeyedWindows', () => {
  it('admits at most `limit` events in any window (t − 1000, t]', () => {
    const w = new KeyedWindows();
    const admitted = (t: number) => w.tryAdmit('app', t, 2);
    expect([admitted(0), admitted(500), admitted(999)]).toEqual([true, true, false]);
    expect(admitted(1000)).toBe(true); // the event at 0 has left the window
    expect(admitted(1499)).toBe(false); // 500 and 1000 are still in it
    expect(admitted(1500)).toBe(true);
  });

  it('does not record refused events, so a client hammering a full window is not starved forever', () => {
    const w = new KeyedWindows();
    w.tryAdmit('app', 0, 1);
    for (let t = 1; t < 1000; t++) expect(w.tryAdmit('app', t, 1)).toBe(false);
    expect(w.tryAdmit('app', 1000, 1)).toBe(true);
  });

  it('keeps one window per key', () => {
    const w = new KeyedWindows();
    expect(w.tryAdmit('a', 0, 1)).toBe(true);
    expect(w.tryAdmit('b', 0, 1)).toBe(true);
    expect(w.tryAdmit('a', 0, 1)).toBe(false);
  });

  it('record counts every event in the window, and stays correct across compaction', () => {
    const w = new KeyedWindows();
    let max = 0;
    for (let t = 0; t < 10_000; t++) max = Math.max(max, w.record('app', t)); // one event per ms
    expect(max).toBe(1000);
    expect(w.record('app', 20_000)).toBe(1);
  });
});
