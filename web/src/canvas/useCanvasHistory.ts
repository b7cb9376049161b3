/**
 * The edited canvas with its undo history (history.ts) for the canvas page: every edit goes through
 * `edit`, which merges keystrokes in one field (model.ts editKey); **Undo** and **Redo**, and Ctrl/Cmd+Z,
 * Ctrl/Cmd+Shift+Z and Ctrl+Y move through it. In a text field those keys are left to the browser,
 * whose own undo of the typing is what a user expects there.
 */
import { useCallback, useEffect, useState } from 'react';
import type { CanvasBody } from '../api/types.ts';
import { canRedo, canUndo, record, redo, replacePresent, startHistory, undo, type History } from './history.ts';
import { editKey, stableJson } from './model.ts';

type Update = CanvasBody | ((current: CanvasBody) => CanvasBody);
const apply = (update: Update, current: CanvasBody) => (typeof update === 'function' ? update(current) : update);

const sameCanvas = (a: CanvasBody, b: CanvasBody) => stableJson(a) === stableJson(b);

const TEXT_INPUTS = new Set(['text', 'search', 'url', 'email', 'tel', 'password', 'number']);

/** A field where Ctrl+Z undoes typing (an input of text or numbers, a textarea, an editable region). */
export function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUTS.has(target.type);
}

export interface CanvasHistory {
  edited: CanvasBody;
  /** A user's edit: one undo entry (or merged into the last one). */
  edit: (update: Update) => void;
  /** Not an edit (the server's answer to Save): no undo entry. */
  replace: (update: Update) => void;
  undo: () => void;
  redo: () => void;
  canUndo: boolean;
  canRedo: boolean;
}

/** `onRestore` hears the canvas an undo or redo brings back, for state kept beside it (the audience's text). */
export function useCanvasHistory(initial: () => CanvasBody, enabled: boolean, onRestore: (canvas: CanvasBody) => void): CanvasHistory {
  const [history, setHistory] = useState<History<CanvasBody>>(() => startHistory(initial()));

  const edit = useCallback((update: Update) => {
    const now = Date.now();
    setHistory((h) => {
      const next = apply(update, h.present);
      return record(h, next, editKey(h.present, next), now, sameCanvas);
    });
  }, []);
  const replace = useCallback((update: Update) => setHistory((h) => replacePresent(h, apply(update, h.present))), []);

  const move = useCallback(
    (step: typeof undo) => {
      const next = step(history);
      if (next === history) return;
      setHistory(next);
      onRestore(next.present);
    },
    [history, onRestore],
  );
  const back = useCallback(() => move(undo), [move]);
  const forward = useCallback(() => move(redo), [move]);

  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || isTextField(e.target)) return;
      const key = e.key.toLowerCase();
      const act = key === 'z' ? (e.shiftKey ? forward : back) : key === 'y' && e.ctrlKey && !e.shiftKey ? forward : null;
      if (!act) return;
      e.preventDefault();
      act();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled, back, forward]);

  return { edited: history.present, edit, replace, undo: back, redo: forward, canUndo: canUndo(history), canRedo: canRedo(history) };
}
