/** Re-entry (spec §3 `reentry`): whether a user who has been in the canvas may enter again, and after how long since their last entry. */
import { useId } from 'react';
import type { CanvasBody } from '../api/types.ts';
import { durationWords } from './duration.ts';
import { DurationInput } from './DurationInput.tsx';
import './entry-rules.css';

type Reentry = NonNullable<CanvasBody['reentry']>;

export function ReentrySettings({ reentry, editable, onChange }: { reentry: Reentry; editable: boolean; onChange: (reentry: Reentry) => void }) {
  const uid = useId();
  return (
    <fieldset className="reentry">
      <legend>Re-entry</legend>
      <label className="choice">
        <input type="checkbox" checked={reentry.allowed} disabled={!editable} onChange={(e) => onChange({ ...reentry, allowed: e.target.checked })} />
        Allow re-entry
      </label>
      {reentry.allowed ? (
        <div className="duration">
          <DurationInput
            id={`${uid}-after`}
            label="Re-enter after"
            seconds={reentry.after_seconds}
            readOnly={!editable}
            describedBy={`${uid}-hint`}
            onChange={(seconds) => onChange({ ...reentry, after_seconds: seconds ?? 0 })}
          />
          <small id={`${uid}-hint`}>
            {reentry.after_seconds > 0 ? `A user may enter again ${durationWords(reentry.after_seconds)} after their last entry.` : 'A user may enter again as soon as they have left.'}
          </small>
        </div>
      ) : (
        <p>
          <small>Each user enters this canvas at most once.</small>
        </p>
      )}
    </fieldset>
  );
}
