/** Which new condition takes focus once drawn: the one just added by Add condition or Add group (keyboard users stay in place). */
import { createContext, useContext, useEffect, useRef } from 'react';

export const FocusNewContext = createContext<{ current: string | null }>({ current: null });

/** A ref for a row's first field that focuses it on mount when its key is the one just added. */
export function useFocusWhenNew<T extends HTMLElement>(key: string) {
  const pendingRef = useContext(FocusNewContext);
  const ref = useRef<T>(null);
  useEffect(() => {
    if (pendingRef.current !== key) return;
    pendingRef.current = null;
    ref.current?.focus();
  }, [pendingRef, key]);
  return ref;
}
