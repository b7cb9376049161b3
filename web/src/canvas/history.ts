/**
 * Undo and redo of a value's edits, as plain data (no React here, so that the rules are unit tested):
 * the last `LIMIT` states before the present can be gone back to, a new edit clears what could be
 * redone, and consecutive edits of the same thing (a key such as the canvas's `name`) within
 * `MERGE_MS` of each other are one entry, so that typing a word is one undo, not one per letter.
 */

export const LIMIT = 50;
export const MERGE_MS = 1000;

export interface History<T> {
  /** Oldest first; at most LIMIT. */
  readonly past: readonly T[];
  readonly present: T;
  /** Nearest first: what Redo brings back next is future[0]. */
  readonly future: readonly T[];
  /** What the last edit changed and when (ms), to merge the next edit of the same thing into it. */
  readonly last: { key: string; at: number } | null;
}

export const startHistory = <T>(present: T): History<T> => ({ past: [], present, future: [], last: null });

/**
 * An edit: `next` becomes the present. `key` names what it changed (null: never merged with another
 * edit); `now` is the time in ms; `same` says when two states are equal. An edit that changes nothing
 * (the same object) is no entry.
 */
export function record<T>(history: History<T>, next: T, key: string | null, now: number, same: (a: T, b: T) => boolean = Object.is): History<T> {
  if (next === history.present) return history;
  const merge = key !== null && history.last !== null && history.last.key === key && now - history.last.at <= MERGE_MS && history.future.length === 0;
  const last = key === null ? null : { key, at: now };
  if (merge) {
    // Typed and taken back (the field's own Ctrl+Z): the entry undoes nothing, so it goes.
    const before = history.past.at(-1);
    if (before !== undefined && same(before, next)) return { ...history, past: history.past.slice(0, -1), present: before, last: null };
    return { ...history, present: next, last };
  }
  return { past: [...history.past, history.present].slice(-LIMIT), present: next, future: [], last };
}

/** The present replaced without an entry (the server's answer to Save, say: not an edit of the user's). */
export const replacePresent = <T>(history: History<T>, present: T): History<T> => ({ ...history, present, last: null });

export const canUndo = (history: History<unknown>): boolean => history.past.length > 0;
export const canRedo = (history: History<unknown>): boolean => history.future.length > 0;

export function undo<T>(history: History<T>): History<T> {
  const previous = history.past.at(-1);
  // `undefined` is no state of the history's: T is a canvas here.
  if (history.past.length === 0 || previous === undefined) return history;
  return { past: history.past.slice(0, -1), present: previous, future: [history.present, ...history.future], last: null };
}

export function redo<T>(history: History<T>): History<T> {
  const following = history.future[0];
  if (history.future.length === 0 || following === undefined) return history;
  return { past: [...history.past, history.present].slice(-LIMIT), present: following, future: history.future.slice(1), last: null };
}
