/**
 * The User Update step's editor: rows of attribute → value, each value typed (text, number,
 * true/false, empty = null), written as `config.set` (spec §3). The rows are kept as typed (an
 * attribute not named yet, a half-typed number); what cannot be saved is reported as the step's
 * problem (step-problems.ts), which blocks Save.
 */
import { useId } from 'react';
import type { Step } from '../api/types.ts';
import { useStepProblem } from './step-problems.ts';
import { useDraft } from './use-draft.ts';

type ValueType = 'text' | 'number' | 'boolean' | 'null';
interface Row {
  key: number;
  attribute: string;
  type: ValueType;
  text: string;
}

const TYPE_WORDS: Record<ValueType, string> = { text: 'Text', number: 'Number', boolean: 'True/false', null: 'Empty (null)' };

function rowsOf(set: unknown): Row[] {
  if (set === null || typeof set !== 'object' || Array.isArray(set)) return [];
  return Object.entries(set).map(([attribute, v], key): Row => {
    if (v === null) return { key, attribute, type: 'null', text: '' };
    if (typeof v === 'number') return { key, attribute, type: 'number', text: String(v) };
    if (typeof v === 'boolean') return { key, attribute, type: 'boolean', text: String(v) };
    // Lists and objects (set by a script) are kept as their JSON text.
    return { key, attribute, type: 'text', text: typeof v === 'string' ? v : JSON.stringify(v) };
  });
}

/** The rows as `set`, or why they cannot be saved. A row not filled in yet (no name, no value) is left out. */
function setOf(rows: readonly Row[]): { set: Record<string, unknown>; problem: string | null } {
  const set: Record<string, unknown> = {};
  for (const [i, r] of rows.entries()) {
    const name = r.attribute.trim();
    if (name === '' && r.text.trim() === '') continue;
    if (name === '') return { set, problem: `attribute ${i + 1} needs a name` };
    if (name in set) return { set, problem: `the attribute "${name}" is set twice` };
    if (r.type === 'number') {
      const n = Number(r.text);
      if (r.text.trim() === '' || !Number.isFinite(n)) return { set, problem: `the value of "${name}" is not a number` };
      set[name] = n;
    } else set[name] = r.type === 'null' ? null : r.type === 'boolean' ? r.text === 'true' : r.text;
  }
  return { set, problem: null };
}

export interface UserUpdateEditorProps {
  step: Step;
  readOnly: boolean;
  onChange: (step: Step) => void;
}

export function UserUpdateEditor({ step, readOnly, onChange }: UserUpdateEditorProps) {
  const uid = useId();
  const [rows, setRows] = useDraft(step.config.set, rowsOf);
  const problem = setOf(rows).problem;
  useStepProblem(step.id, problem === null ? null : `User Update: ${problem}`);

  const write = (next: Row[]) => {
    const { set, problem: p } = setOf(next);
    setRows(next, p === null ? set : step.config.set);
    if (p === null) onChange({ ...step, config: { ...step.config, set } });
  };
  const edit = (key: number, patch: Partial<Row>) => write(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  return (
    <fieldset className="kv-editor">
      <legend>Attributes to set</legend>
      {rows.length === 0 ? <p className="note">No attributes yet: users pass through unchanged.</p> : null}
      {rows.map((r, i) => {
        const id = `${uid}-${r.key}`;
        return (
          <div key={r.key} className="kv-row">
            <div className="stack">
              <label htmlFor={`${id}-a`}>Attribute</label>
              <input id={`${id}-a`} value={r.attribute} readOnly={readOnly} placeholder={readOnly ? undefined : 'plan'} onChange={(e) => edit(r.key, { attribute: e.target.value })} />
            </div>
            <div className="stack">
              <label htmlFor={`${id}-t`}>Type</label>
              <select
                id={`${id}-t`}
                value={r.type}
                disabled={readOnly}
                onChange={(e) => {
                  const type = e.target.value as ValueType;
                  edit(r.key, { type, text: type === 'boolean' ? 'true' : type === 'null' ? '' : r.type === 'boolean' ? '' : r.text });
                }}
              >
                {(Object.keys(TYPE_WORDS) as ValueType[]).map((t) => (
                  <option key={t} value={t}>
                    {TYPE_WORDS[t]}
                  </option>
                ))}
              </select>
            </div>
            <div className="stack">
              <label htmlFor={`${id}-v`}>Value</label>
              {r.type === 'boolean' ? (
                <select id={`${id}-v`} value={r.text} disabled={readOnly} onChange={(e) => edit(r.key, { text: e.target.value })}>
                  <option value="true">true</option>
                  <option value="false">false</option>
                </select>
              ) : (
                <input
                  id={`${id}-v`}
                  value={r.text}
                  readOnly={readOnly || r.type === 'null'}
                  inputMode={r.type === 'number' ? 'decimal' : undefined}
                  placeholder={r.type === 'null' ? 'removes the attribute' : undefined}
                  aria-invalid={r.type === 'number' && (r.text.trim() === '' || !Number.isFinite(Number(r.text)))}
                  onChange={(e) => edit(r.key, { text: e.target.value })}
                />
              )}
            </div>
            {readOnly ? null : (
              <button type="button" className="secondary" onClick={() => write(rows.filter((x) => x.key !== r.key))}>
                Remove<span className="visually-hidden"> {r.attribute.trim() || `attribute ${i + 1}`}</span>
              </button>
            )}
          </div>
        );
      })}
      {problem ? (
        <p className="alert error" role="alert">
          Not saved: {problem}.
        </p>
      ) : null}
      {readOnly ? null : (
        <button type="button" className="secondary" onClick={() => write([...rows, { key: Math.max(-1, ...rows.map((r) => r.key)) + 1, attribute: '', type: 'text', text: '' }])}>
          Add attribute
        </button>
      )}
    </fieldset>
  );
}
