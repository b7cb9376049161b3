/**
 * **Add step** (spec §8): a menu button as the WAI-ARIA pattern has it. Enter, Space or ArrowDown open
 * it on the first item, ArrowUp on the last; arrows, Home and End move; Escape closes it and gives focus
 * back to the button; Tab or a click elsewhere closes it. When the new step goes after a decision split,
 * radios **Yes branch** and **No branch** say which of its ways it goes on.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { StepType } from '../api/types.ts';
import { STEP_TYPES, STEP_WORDS } from './model.ts';

export interface SplitBranchChoice {
  value: 'yes' | 'no';
  onChange: (branch: 'yes' | 'no') => void;
}

export function AddStepMenu({ onAdd, where, splitBranch }: { onAdd: (type: StepType) => void; where: string; splitBranch?: SplitBranchChoice }) {
  const menuId = useId();
  const radios = useId();
  const [active, setActive] = useState<number | null>(null);
  const open = active !== null;
  const button = useRef<HTMLButtonElement>(null);
  const items = useRef<(HTMLButtonElement | null)[]>([]);

  useEffect(() => {
    if (active !== null) items.current[active]?.focus();
  }, [active]);

  const close = (refocus: boolean) => {
    setActive(null);
    if (refocus) button.current?.focus();
  };
  const move = (to: number) => setActive((to + STEP_TYPES.length) % STEP_TYPES.length);

  const onButtonKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setActive(e.key === 'ArrowDown' ? 0 : STEP_TYPES.length - 1);
    }
  };
  const onMenuKey = (e: KeyboardEvent) => {
    if (active === null) return;
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(active + 1),
      ArrowUp: () => move(active - 1),
      Home: () => move(0),
      End: () => move(STEP_TYPES.length - 1),
      Escape: () => close(true),
    };
    const act = keys[e.key];
    if (act) {
      e.preventDefault();
      act();
    } else if (e.key === 'Tab') close(false);
  };

  return (
    <>
      <div
        className="menu-wrap"
        onBlur={(e) => {
          if (open && !e.currentTarget.contains(e.relatedTarget as globalThis.Node | null)) close(false);
        }}
      >
        <button
          ref={button}
          type="button"
          aria-haspopup="menu"
          aria-expanded={open}
          aria-controls={open ? menuId : undefined}
          onClick={() => (open ? close(false) : setActive(0))}
          onKeyDown={onButtonKey}
        >
          Add step
        </button>
        {open ? (
          <ul id={menuId} role="menu" aria-label={`Add a step ${where}`} className="menu" onKeyDown={onMenuKey}>
            {STEP_TYPES.map((type, i) => (
              <li key={type} role="none">
                <button
                  ref={(el) => {
                    items.current[i] = el;
                  }}
                  type="button"
                  role="menuitem"
                  tabIndex={i === active ? 0 : -1}
                  onClick={() => {
                    setActive(null);
                    onAdd(type);
                  }}
                  onMouseEnter={() => setActive(i)}
                >
                  {STEP_WORDS[type]}
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      {splitBranch ? (
        <fieldset className="branch-choice">
          <legend>On the split’s</legend>
          {(['yes', 'no'] as const).map((b) => (
            <label key={b}>
              <input type="radio" name={radios} value={b} checked={splitBranch.value === b} onChange={() => splitBranch.onChange(b)} /> {b === 'yes' ? 'Yes branch' : 'No branch'}
            </label>
          ))}
        </fieldset>
      ) : null}
    </>
  );
}
