/**
 * The Audience field of the Audience Sync step (spec §8): an ARIA 1.2 combobox with a list popup and
 * manual selection (WAI-ARIA APG "list autocomplete"). Typing filters the ad account's audiences by name,
 * case-insensitively; the last option offers to create an audience named as typed when no audience has
 * exactly that name. Focus stays in the input; the active option is named by aria-activedescendant.
 * The editor owns the typed text, because its Create audience button uses it too.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Audience } from '../api/types.ts';

export interface AudienceComboboxProps {
  /** The input's id (its <label htmlFor> is rendered here). */
  id: string;
  audiences: Audience[];
  /** What the input shows: the typed text, or the chosen audience's name when nothing is being typed. */
  text: string;
  /** True when `text` is what the member typed (and filters the list), false when it is the chosen audience. */
  typing: boolean;
  onText(text: string): void;
  /** Back to showing the chosen audience (Escape on a closed list). */
  onRevert(): void;
  onChoose(audience: Audience): void;
  /** Absent: no "Create new audience" option (read-only editors). */
  onCreate?: (name: string) => void;
  disabled: boolean;
  /** Ids of hint texts about the field. */
  describedBy?: string;
}

type Option = { kind: 'audience'; audience: Audience } | { kind: 'create'; name: string };

/** The audiences matching what was typed, then the create option when the name is new. */
export function audienceOptions(audiences: Audience[], text: string, typing: boolean, canCreate: boolean): Option[] {
  const query = typing ? text.trim() : '';
  const needle = query.toLowerCase();
  const matching = needle ? audiences.filter((a) => a.name.toLowerCase().includes(needle)) : audiences;
  const options: Option[] = matching.map((audience) => ({ kind: 'audience', audience }));
  if (canCreate && query && !audiences.some((a) => a.name === query)) options.push({ kind: 'create', name: query });
  return options;
}

export function AudienceCombobox({ id, audiences, text, typing, onText, onRevert, onChoose, onCreate, disabled, describedBy }: AudienceComboboxProps) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const listRef = useRef<HTMLUListElement>(null);
  const listId = `${id}-listbox`;
  const optionId = (i: number) => `${id}-option-${i}`;
  const options = audienceOptions(audiences, text, typing, onCreate !== undefined);
  const expanded = open && !disabled && options.length > 0;
  const activeIndex = expanded && active < options.length ? active : -1;

  const activeId = activeIndex >= 0 ? optionId(activeIndex) : undefined;
  // Keep the option moved to by the arrow keys in view in a long list.
  useEffect(() => {
    if (activeId) listRef.current?.querySelector(`#${CSS.escape(activeId)}`)?.scrollIntoView({ block: 'nearest' });
  }, [activeId]);

  const choose = (option: Option) => {
    setOpen(false);
    setActive(-1);
    if (option.kind === 'audience') onChoose(option.audience);
    else onCreate?.(option.name);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (options.length === 0) return;
      if (!expanded) {
        setOpen(true);
        // Alt+Down only opens; Down and Up open and move to the first or last option.
        setActive(e.altKey ? -1 : e.key === 'ArrowDown' ? 0 : options.length - 1);
        return;
      }
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((activeIndex + step + options.length) % options.length);
    } else if (e.key === 'Enter') {
      // Enter chooses; it never submits a surrounding form.
      if (expanded) e.preventDefault();
      const option = activeIndex >= 0 ? options[activeIndex] : undefined;
      if (option) choose(option);
    } else if (e.key === 'Escape') {
      if (expanded) {
        e.preventDefault();
        setOpen(false);
        setActive(-1);
      } else if (typing) {
        // A second Escape puts back the chosen audience's name.
        e.preventDefault();
        onRevert();
      }
    }
  };

  return (
    <div className="combobox">
      <label htmlFor={id} id={`${id}-label`}>
        Audience
      </label>
      <input
        id={id}
        type="text"
        role="combobox"
        autoComplete="off"
        spellCheck={false}
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={activeId}
        aria-describedby={describedBy}
        maxLength={255}
        placeholder={disabled ? undefined : 'Type to search or name a new audience'}
        value={text}
        readOnly={disabled}
        onChange={(e) => {
          onText(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onClick={() => setOpen(!expanded)}
        onKeyDown={onKeyDown}
        onBlur={() => {
          setOpen(false);
          setActive(-1);
        }}
      />
      <ul id={listId} role="listbox" aria-labelledby={`${id}-label`} ref={listRef} className="combobox-list" hidden={!expanded}>
        {expanded
          ? options.map((option, i) => (
              <li
                key={option.kind === 'audience' ? option.audience.audience_id : 'create'}
                id={optionId(i)}
                role="option"
                aria-selected={i === activeIndex}
                className={option.kind === 'create' ? 'create' : undefined}
                // Keep focus in the input (the APG pattern), so blur does not close the list before the click.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => choose(option)}
              >
                {option.kind === 'audience' ? option.audience.name : `Create new audience: ${option.name}`}
              </li>
            ))
          : null}
      </ul>
    </div>
  );
}
