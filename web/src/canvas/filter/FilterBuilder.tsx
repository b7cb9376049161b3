/**
 * A filter of spec §3 built by clicks: groups that match all or any of their members, nested groups,
 * and conditions with attribute names suggested from the workspace. The draft (what is typed) is kept
 * here; the owner gets the filter JSON, or the problem that keeps it from being one (the canvas page
 * refuses to save while there is one). Read-only, the filter is shown in words.
 */
import { useId, useRef, useState } from 'react';
import type { Filter } from '../../api/types.ts';
import { stableJson } from '../model.ts';
import { FilterGroup } from './FilterGroup.tsx';
import { FocusNewContext } from './focus.ts';
import { draftOf, draftProblem, filterDepth, filterOf, OP_WORDS, type FilterDraft, type FilterOp } from './model.ts';
import { useAttributes } from './useAttributes.ts';
import './filter.css';

export interface FilterBuilderProps {
  /** The group's accessible name, e.g. "Entry audience". */
  legend: string;
  /** What an empty filter means, e.g. "Every profile of the workspace". */
  emptyMeans: string;
  value: Filter | null | undefined;
  /** A single condition built from nothing is written bare (a split's `vip = true`), not inside `all`. */
  bareWhenOne: boolean;
  editable: boolean;
  /** The filter (null: empty), or the first problem in words, in which case `filter` is the last good one. */
  onChange: (filter: Filter | null, problem: string | null) => void;
}

/** Deeper than the server accepts for a new canvas (src/core/canvas-caps.ts): shown as a note, not drawn level by level. */
const DEEPEST_SHOWN = 32;

export function FilterBuilder(props: FilterBuilderProps) {
  const depth = filterDepth(props.value);
  if (depth > DEEPEST_SHOWN)
    return (
      <div className="filter-readonly" role="group" aria-label={props.legend}>
        <p className="filter-legend">{props.legend}</p>
        <p>This filter nests {depth.toLocaleString()} levels deep, more than the builder shows; it is kept as it is (a script can change it through the API).</p>
      </div>
    );
  return <EditableFilter {...props} />;
}

function EditableFilter({ legend, emptyMeans, value, bareWhenOne, editable, onChange }: FilterBuilderProps) {
  const uid = useId();
  const { list, typeOf } = useAttributes();
  const [draft, setDraft] = useState<FilterDraft>(() => draftOf(value, bareWhenOne));
  const incoming = stableJson(value ?? null);
  const [known, setKnown] = useState(incoming);
  const focusNewRef = useRef<string | null>(null);
  // A filter replaced from outside (an undo, an import; a reload after Save answers the same JSON) starts a new draft.
  if (incoming !== known) {
    setKnown(incoming);
    if (stableJson(filterOf(draft)) !== incoming) setDraft(draftOf(value, bareWhenOne));
  }

  if (!editable) return <ReadOnlyFilter legend={legend} value={value ?? null} emptyMeans={emptyMeans} />;

  const update = (next: FilterDraft) => {
    setDraft(next);
    const problem = draftProblem(next);
    const filter = problem === null ? filterOf(next) : null;
    if (problem === null) setKnown(stableJson(filter));
    onChange(filter, problem === null ? null : `${legend}, ${problem}`);
  };

  return (
    <FocusNewContext.Provider value={focusNewRef}>
      <FilterGroup
        group={draft.root}
        legend={legend}
        path=""
        datalistId={`${uid}-attributes`}
        typeOf={typeOf}
        onChange={(root) => update({ ...draft, root })}
        // Choosing how the top group matches is asking for a group, even around one condition.
        onMode={(mode) => update({ ...draft, root: { ...draft.root, mode }, bare: false })}
      >
        {draft.root.members.length === 0 ? <p className="filter-empty">{emptyMeans}. Add a condition to narrow it.</p> : null}
      </FilterGroup>
      <datalist id={`${uid}-attributes`}>
        {list.map((a) => (
          <option key={a.name} value={a.name}>
            {`${a.standard ? 'standard' : 'custom'}, ${a.type}`}
          </option>
        ))}
      </datalist>
    </FocusNewContext.Provider>
  );
}

function ReadOnlyFilter({ legend, value, emptyMeans }: { legend: string; value: Filter | null; emptyMeans: string }) {
  return (
    <div className="filter-readonly" role="group" aria-label={legend}>
      <p className="filter-legend">{legend}</p>
      {value === null ? <p>{emptyMeans}.</p> : <FilterWords filter={value} />}
    </div>
  );
}

function FilterWords({ filter }: { filter: Filter }) {
  if ('all' in filter || 'any' in filter) {
    const all = 'all' in filter;
    const members = all ? filter.all : (filter as { any: Filter[] }).any;
    return (
      <div>
        {all ? 'All of:' : 'Any of:'}
        <ul>
          {members.map((m, i) => (
            <li key={i}>
              <FilterWords filter={m} />
            </li>
          ))}
        </ul>
      </div>
    );
  }
  const words = OP_WORDS[filter.op as FilterOp] ?? filter.op;
  return (
    <span>
      <code>{filter.attribute}</code> {words}
      {'value' in filter ? (
        <>
          {' '}
          <code>{JSON.stringify(filter.value)}</code>
        </>
      ) : null}
    </span>
  );
}
