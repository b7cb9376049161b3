/**
 * One condition of a filter: attribute (suggested from the workspace's names), operator in words, and a
 * value input that fits the attribute's type and the operator; each field shows its own problem.
 */
import { useId } from 'react';
import { useFocusWhenNew } from './focus.ts';
import { attributeProblem, FILTER_OPS, OP_WORDS, retyped, takesValue, valueProblem, type AttributeType, type ConditionDraft, type FilterOp } from './model.ts';

export interface ConditionRowProps {
  condition: ConditionDraft;
  /** Its place, "1" or "2.1", in its accessible names. */
  label: string;
  datalistId: string;
  typeOf: (name: string) => AttributeType | undefined;
  onChange: (c: ConditionDraft) => void;
  onRemove: () => void;
}

export function ConditionRow({ condition: c, label, datalistId, typeOf, onChange, onRemove }: ConditionRowProps) {
  const uid = useId();
  const first = useFocusWhenNew<HTMLInputElement>(c.key);
  const attrProblem = attributeProblem(c);
  const valProblem = attrProblem === null || c.attribute.trim() !== '' ? valueProblem(c) : null;
  const setText = (text: string) => onChange(c.as === 'none' ? { ...retyped({ ...c, as: 'string' }, typeOf(c.attribute)), text } : { ...c, text });
  const field = (id: string, problem: string | null) => ({ id, 'aria-invalid': problem !== null, 'aria-describedby': problem ? `${id}-problem` : undefined });

  return (
    <div role="group" aria-label={`Condition ${label}`} className="filter-condition">
      <div className="filter-field">
        <label htmlFor={`${uid}-attr`}>Attribute</label>
        <input
          {...field(`${uid}-attr`, attrProblem)}
          ref={first}
          list={datalistId}
          value={c.attribute}
          autoComplete="off"
          spellCheck={false}
          placeholder="country"
          onChange={(e) => onChange(retyped({ ...c, attribute: e.target.value }, typeOf(e.target.value)))}
        />
        {attrProblem ? <small id={`${uid}-attr-problem`} className="problem">{attrProblem}</small> : null}
      </div>
      <div className="filter-field op">
        <label htmlFor={`${uid}-op`}>Operator</label>
        <select id={`${uid}-op`} value={c.op} onChange={(e) => onChange(retyped({ ...c, op: e.target.value as FilterOp }, typeOf(c.attribute)))}>
          {FILTER_OPS.map((op) => (
            <option key={op} value={op}>
              {OP_WORDS[op]}
            </option>
          ))}
        </select>
      </div>
      {takesValue(c.op) || c.as === 'json' ? (
        <div className="filter-field">
          <ValueInput condition={c} id={`${uid}-value`} problem={valProblem} onText={setText} />
          {valProblem ? <small id={`${uid}-value-problem`} className="problem">{valProblem}</small> : null}
        </div>
      ) : null}
      <button type="button" className="secondary" aria-label={`Remove condition ${label}`} onClick={onRemove}>
        Remove
      </button>
    </div>
  );
}

function ValueInput({ condition: c, id, problem, onText }: { condition: ConditionDraft; id: string; problem: string | null; onText: (text: string) => void }) {
  const a11y = { id, 'aria-invalid': problem !== null, 'aria-describedby': problem ? `${id}-problem` : undefined };
  if (c.as === 'boolean')
    return (
      <>
        <label htmlFor={id}>Value</label>
        <select {...a11y} value={c.text} onChange={(e) => onText(e.target.value)}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      </>
    );
  if (c.as.startsWith('list-'))
    return (
      <>
        <label htmlFor={id}>Values, one per line</label>
        <textarea {...a11y} rows={Math.min(6, Math.max(2, c.text.split('\n').length))} value={c.text} spellCheck={false} onChange={(e) => onText(e.target.value)} />
      </>
    );
  return (
    <>
      <label htmlFor={id}>{c.as === 'json' ? 'Value (JSON)' : 'Value'}</label>
      <input
        {...a11y}
        // A number as text: <input type="number"> would quietly drop "abc", and the marketer would never see why.
        inputMode={c.as === 'number' ? 'decimal' : undefined}
        value={c.text}
        spellCheck={false}
        onChange={(e) => onText(e.target.value)}
      />
    </>
  );
}
