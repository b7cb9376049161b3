/**
 * An editor's draft of a stored value (rows being typed, a body's JSON text), kept as typed while the
 * editor writes it, and rebuilt when the stored value changes from elsewhere (undo, a JSON import, the
 * server's answer holding other values). Values are compared as JSON with sorted keys.
 */
import { useState } from 'react';
import { stableJson } from './model.ts';

/**
 * `[draft, setDraft]`: `setDraft(draft, written)` keeps `draft` and notes `written`, the stored value
 * the editor wrote with it (the stored value unchanged when the draft cannot be saved yet).
 */
export function useDraft<D>(stored: unknown, toDraft: (stored: unknown) => D): [D, (draft: D, written: unknown) => void] {
  const key = stableJson(stored) ?? 'undefined';
  const [state, setState] = useState(() => ({ draft: toDraft(stored), key }));
  let current = state;
  if (state.key !== key) {
    // Changed from elsewhere: React allows this set during render, and it settles (same key next time).
    current = { draft: toDraft(stored), key };
    setState(current);
  }
  return [current.draft, (draft, written) => setState({ draft, key: stableJson(written) ?? 'undefined' })];
}
