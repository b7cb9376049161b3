/** The canvas page's undo history (web/src/canvas/history.ts): a cap of 50, redo cleared by an edit, keystrokes merged. */
import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, LIMIT, record, redo, replacePresent, startHistory, undo } from '../../web/src/canvas/history.ts';

describe('history', () => {
  it('undoes and redoes edits in order; nothing to undo or redo leaves it as it is', () => {
    let h = startHistory('a');
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = record(h, 'b', null, 0);
    h = record(h, 'c', null, 1);
    h = undo(h);
    expect(h.present).toBe('b');
    h = undo(h);
    expect(h.present).toBe('a');
    expect([canUndo(h), canRedo(h)]).toEqual([false, true]);
    h = redo(redo(h));
    expect(h.present).toBe('c');
    expect(redo(h)).toBe(h);
  });

  it('keeps the last 50 edits', () => {
    let h = startHistory(0);
    for (let i = 1; i <= 60; i++) h = record(h, i, null, i * 10_000);
    expect(h.past).toHaveLength(LIMIT);
    let undone = 0;
    while (canUndo(h)) {
      h = undo(h);
      undone++;
    }
    expect(undone).toBe(50);
    expect(h.present).toBe(10);
  });

  it('a new edit clears what could be redone', () => {
    let h = record(record(startHistory('a'), 'b', null, 0), 'c', null, 1);
    h = record(undo(h), 'd', null, 2);
    expect(canRedo(h)).toBe(false);
    expect(undo(h).present).toBe('b');
  });

  it('merges consecutive edits of the same key within a second; another key, a pause or an undo starts a new entry', () => {
    let h = startHistory('');
    for (const [i, text] of ['A', 'An', 'Ana'].entries()) h = record(h, text, 'name', 1000 + i * 300);
    expect(h.past).toEqual(['']);
    h = record(h, 'Ana!', 'name', 1600 + 1001);
    expect(h.past).toEqual(['', 'Ana']);
    h = record(h, 'Ana!?', 'audience', 2700);
    expect(h.past).toEqual(['', 'Ana', 'Ana!']);
    h = record(undo(h), 'Ana!x', 'name', 2800);
    expect(h.past).toEqual(['', 'Ana', 'Ana!']);
    // Typed and taken back within the second: no entry is left that would undo nothing.
    const typed = record(record(h, 'Ana!xy', 'name', 3000), 'Ana!', 'name', 3100, (a, b) => a === b);
    expect(typed.past).toEqual(['', 'Ana']);
    expect(typed.present).toBe('Ana!');
    // The server's answer to Save is not an entry.
    expect(replacePresent(h, 'saved').past).toBe(h.past);
  });
});
