/**
 * Exit (spec §3 `exit {events}`): users leave the canvas when one of these events is tracked for them.
 * Names are added from a field that suggests the workspace's tracked events, and removed one by one.
 */
import { useId, useState } from 'react';
import './entry-rules.css';

/** core/canvas.ts: an event name is at most this long. */
const MAX_EVENT_NAME = 255;

export function ExitEvents({ events, suggestions, editable, onChange }: { events: string[]; suggestions: string[]; editable: boolean; onChange: (events: string[]) => void }) {
  const uid = useId();
  const [typed, setTyped] = useState('');
  const name = typed.trim();
  const add = () => {
    if (name === '' || events.includes(name)) return;
    onChange([...events, name]);
    setTyped('');
  };
  return (
    <fieldset className="exit-events">
      <legend>Exit events</legend>
      {events.length === 0 ? (
        <p>
          <small>No exit events: users leave when their path ends.</small>
        </p>
      ) : (
        <ul className="chips" aria-label="Exit events">
          {events.map((event) => (
            <li key={event}>
              <span>{event}</span>
              {editable ? (
                <button type="button" className="secondary" aria-label={`Remove ${event}`} onClick={() => onChange(events.filter((e) => e !== event))}>
                  Remove
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {editable ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            add();
          }}
        >
          <div className="stack">
            <label htmlFor={`${uid}-new`}>Exit event</label>
            <input id={`${uid}-new`} list={`${uid}-names`} value={typed} maxLength={MAX_EVENT_NAME} spellCheck={false} autoComplete="off" aria-describedby={`${uid}-hint`} onChange={(e) => setTyped(e.target.value)} />
            <datalist id={`${uid}-names`}>
              {suggestions
                .filter((s) => !events.includes(s))
                .map((s) => (
                  <option key={s} value={s} />
                ))}
            </datalist>
          </div>
          <button type="submit" className="secondary" disabled={name === '' || events.includes(name)}>
            Add exit event
          </button>
        </form>
      ) : null}
      <p>
        <small id={`${uid}-hint`}>Users leave the canvas when one of these events is tracked for them{suggestions.length > 0 ? '; names tracked so far are suggested' : ''}.</small>
      </p>
    </fieldset>
  );
}
