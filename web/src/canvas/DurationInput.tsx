/**
 * A duration as a number and a unit (seconds, minutes, hours, days), stored as whole seconds: Delay's
 * wait and Re-entry's "after". The typed number and the unit are kept as typed, so that choosing a unit
 * before typing works and an emptied field stays empty (reported as null).
 */
import { DURATION_UNITS, splitDuration, UNIT_SECONDS, type DurationUnit } from './duration.ts';
import { useDraft } from './use-draft.ts';

export interface DurationInputProps {
  id: string;
  /** The number's label; the unit's is "<label> unit". */
  label: string;
  seconds: number | null;
  readOnly: boolean;
  onChange: (seconds: number | null) => void;
  describedBy?: string;
}

export function DurationInput({ id, label, seconds, readOnly, onChange, describedBy }: DurationInputProps) {
  const [typed, setTyped] = useDraft(seconds, (stored) => {
    const split = splitDuration(typeof stored === 'number' ? stored : 0);
    return { text: typeof stored === 'number' ? String(split.n) : '', unit: split.unit };
  });
  const emit = (text: string, unit: DurationUnit) => {
    const n = Number(text);
    const next = text.trim() === '' || !Number.isFinite(n) || n < 0 ? null : Math.round(n * UNIT_SECONDS[unit]);
    setTyped({ text, unit }, next);
    onChange(next);
  };
  return (
    <div className="row duration-row">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="duration-n"
        type="number"
        min={0}
        step="any"
        inputMode="decimal"
        value={typed.text}
        readOnly={readOnly}
        aria-describedby={describedBy}
        onChange={(e) => emit(e.target.value, typed.unit)}
      />
      <select aria-label={`${label} unit`} value={typed.unit} disabled={readOnly} onChange={(e) => emit(typed.text, e.target.value as DurationUnit)}>
        {DURATION_UNITS.map((u) => (
          <option key={u} value={u}>
            {u}
          </option>
        ))}
      </select>
    </div>
  );
}
