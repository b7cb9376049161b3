/** A group of a filter: Match all / Match any, its members (conditions and nested groups), Add condition, Add group. */
import { useContext, useId, useRef } from 'react';
import { ConditionRow } from './ConditionRow.tsx';
import { FocusNewContext } from './focus.ts';
import { emptyCondition, emptyGroup, type AttributeType, type GroupDraft, type MemberDraft } from './model.ts';

/**
 * The server refuses filters nested over 32 deep (src/core/canvas-caps.ts; the top filter is 1): a group at
 * this many levels below the top would put its new group's conditions past that, so it offers no Add group.
 */
const DEEPEST_GROUP_WITH_ADD_GROUP = 29;

export interface FilterGroupProps {
  group: GroupDraft;
  /** The top group's own legend (e.g. "Entry audience"); nested groups are "Group 2.1". */
  legend: string;
  /** Its place ("" for the top group, "2" or "2.1" for nested ones). */
  path: string;
  datalistId: string;
  typeOf: (name: string) => AttributeType | undefined;
  onChange: (group: GroupDraft) => void;
  onMode?: (mode: 'all' | 'any') => void;
  onRemove?: () => void;
  children?: React.ReactNode;
}

export function FilterGroup({ group, legend, path, datalistId, typeOf, onChange, onMode, onRemove, children }: FilterGroupProps) {
  const uid = useId();
  const nested = path !== '';
  const suffix = nested ? ` to group ${path}` : '';
  const focusNewRef = useContext(FocusNewContext);
  const addButton = useRef<HTMLButtonElement>(null);
  const setMember = (i: number, m: MemberDraft | null) => onChange({ ...group, members: group.members.flatMap((old, j) => (j !== i ? [old] : m === null ? [] : [m])) });
  // A removed row takes its focused button with it: focus goes to this group's Add condition, not to the page's top.
  const remove = (i: number) => {
    setMember(i, null);
    addButton.current?.focus();
  };
  const add = (m: MemberDraft) => {
    focusNewRef.current = m.kind === 'group' ? (m.members[0]?.key ?? null) : m.key;
    onChange({ ...group, members: [...group.members, m] });
  };
  const setMode = (mode: 'all' | 'any') => (onMode ? onMode(mode) : onChange({ ...group, mode }));

  return (
    <fieldset className={nested ? 'filter-group nested' : 'filter-group'}>
      <legend>{legend}</legend>
      {children}
      {/* Nothing to match yet: the choice would only be noise. */}
      {group.members.length > 0 ? (
        <div role="radiogroup" aria-label={nested ? `Match, group ${path}` : 'Match'} className="row">
          {(['all', 'any'] as const).map((mode) => (
            <label key={mode} className="choice">
              <input type="radio" name={`${uid}-mode`} value={mode} checked={group.mode === mode} onChange={() => setMode(mode)} />
              {mode === 'all' ? 'Match all' : 'Match any'}
            </label>
          ))}
        </div>
      ) : null}
      {group.members.map((m, i) => {
        const at = nested ? `${path}.${i + 1}` : `${i + 1}`;
        return m.kind === 'group' ? (
          <FilterGroup key={m.key} group={m} legend={`Group ${at}`} path={at} datalistId={datalistId} typeOf={typeOf} onChange={(g) => setMember(i, g)} onRemove={() => remove(i)} />
        ) : (
          <ConditionRow key={m.key} condition={m} label={at} datalistId={datalistId} typeOf={typeOf} onChange={(c) => setMember(i, c)} onRemove={() => remove(i)} />
        );
      })}
      <div className="row filter-actions">
        <button ref={addButton} type="button" className="secondary" aria-label={`Add condition${suffix}`} onClick={() => add(emptyCondition())}>
          Add condition
        </button>
        {(nested ? path.split('.').length : 0) < DEEPEST_GROUP_WITH_ADD_GROUP ? (
          <button type="button" className="secondary" aria-label={`Add group${suffix}`} onClick={() => add({ ...emptyGroup(group.mode === 'all' ? 'any' : 'all'), members: [emptyCondition()] })}>
            Add group
          </button>
        ) : null}
        {onRemove ? (
          <button type="button" className="secondary" aria-label={`Remove group ${path}`} onClick={onRemove}>
            Remove group
          </button>
        ) : null}
      </div>
    </fieldset>
  );
}
