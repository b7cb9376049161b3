/**
 * The canvas's own settings (spec §3, §8): **Name**, **Entry** (API, Event with its event name,
 * Scheduled with its start in the browser's zone), the **Entry audience** filter, built by clicks
 * (filter/FilterBuilder.tsx), then **Re-entry** and **Exit events**. A filter with a problem (a value that
 * is not one yet) is reported to the page, which refuses to save it.
 */
import { useId, useState } from 'react';
import type { CanvasBody, Entry, Filter } from '../api/types.ts';
import { useEventNames } from './event-names.ts';
import { ExitEvents } from './ExitEvents.tsx';
import { FilterBuilder } from './filter/FilterBuilder.tsx';
import { fromLocalInput, toLocalInput } from './model.ts';
import { ReentrySettings } from './ReentrySettings.tsx';

/** The browser's time zone, named next to the schedule's picker (datetime-local has no zone of its own). */
const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export interface EntrySettingsProps {
  canvas: CanvasBody;
  editable: boolean;
  onChange: (canvas: CanvasBody) => void;
  /** The audience filter, or the problem that keeps the builder's draft from being one. */
  onAudience: (audience: Filter | null, problem: string | null) => void;
}

const CHOICES: { type: Entry['type']; label: string; hint: string }[] = [
  { type: 'api', label: 'API', hint: 'Users enter when a script triggers the canvas (POST /api/canvas/trigger/send).' },
  { type: 'event', label: 'Event', hint: 'Users enter when an event of that name is tracked for them.' },
  { type: 'scheduled', label: 'Scheduled', hint: 'Every profile in the entry audience enters once, at that time.' },
];

export function EntrySettings({ canvas, editable, onChange, onAudience }: EntrySettingsProps) {
  const uid = useId();
  const entry = canvas.entry;
  const eventNames = useEventNames();
  // Switching away and back keeps what was typed.
  const [lastEvent, setLastEvent] = useState(entry.type === 'event' ? (entry.event ?? '') : '');
  const [lastAt, setLastAt] = useState(entry.type === 'scheduled' ? entry.at : null);
  const setEntry = (next: Entry) => onChange({ ...canvas, entry: next });
  const choose = (type: Entry['type']) => {
    if (type === 'api') setEntry({ type });
    // An empty event name is not sent: the API refuses "" (a draft may leave it out until launch).
    else if (type === 'event') setEntry(lastEvent ? { type, event: lastEvent } : { type });
    else setEntry({ type, at: lastAt });
  };

  return (
    <section className="card settings" aria-labelledby={`${uid}-h`}>
      <h2 id={`${uid}-h`}>Settings</h2>
      <div className="stack wide">
        <label htmlFor={`${uid}-name`}>Name</label>
        <input id={`${uid}-name`} value={canvas.name} readOnly={!editable} maxLength={200} onChange={(e) => onChange({ ...canvas, name: e.target.value })} />
      </div>

      <fieldset>
        <legend>Entry</legend>
        {CHOICES.map((c) => (
          <label key={c.type} className="choice">
            <input type="radio" name={`${uid}-entry`} value={c.type} checked={entry.type === c.type} disabled={!editable} onChange={() => choose(c.type)} />
            {c.label}
          </label>
        ))}
        <p>
          <small>{CHOICES.find((c) => c.type === entry.type)?.hint}</small>
        </p>
        {entry.type === 'event' ? (
          <div className="stack">
            <label htmlFor={`${uid}-event`}>Event name</label>
            <input
              id={`${uid}-event`}
              value={entry.event ?? ''}
              readOnly={!editable}
              list={editable ? `${uid}-event-names` : undefined}
              autoComplete="off"
              spellCheck={false}
              aria-describedby={`${uid}-event-hint`}
              placeholder={editable ? 'purchase' : undefined}
              onChange={(e) => {
                setLastEvent(e.target.value);
                setEntry(e.target.value ? { type: 'event', event: e.target.value } : { type: 'event' });
              }}
            />
            <datalist id={`${uid}-event-names`}>
              {eventNames.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
            <small id={`${uid}-event-hint`}>{eventNames.length > 0 ? `Tracked so far: ${eventNames.slice(0, 5).join(', ')}${eventNames.length > 5 ? '…' : ''}.` : 'No events tracked yet in this workspace.'}</small>
          </div>
        ) : null}
        {entry.type === 'scheduled' ? (
          <div className="stack">
            <label htmlFor={`${uid}-at`}>Start at</label>
            <input
              id={`${uid}-at`}
              type="datetime-local"
              value={toLocalInput(entry.at)}
              readOnly={!editable}
              aria-describedby={`${uid}-at-hint`}
              onChange={(e) => {
                const at = fromLocalInput(e.target.value);
                setLastAt(at);
                setEntry({ type: 'scheduled', at });
              }}
            />
            <small id={`${uid}-at-hint`}>Your local time ({TIME_ZONE}). Empty: at launch.</small>
          </div>
        ) : null}
      </fieldset>

      <FilterBuilder legend="Entry audience" emptyMeans="Every profile of the workspace" value={canvas.audience} bareWhenOne={false} editable={editable} onChange={onAudience} />

      <ReentrySettings reentry={canvas.reentry ?? { allowed: false, after_seconds: 0 }} editable={editable} onChange={(reentry) => onChange({ ...canvas, reentry })} />
      <ExitEvents events={canvas.exit?.events ?? []} suggestions={eventNames} editable={editable} onChange={(events) => onChange({ ...canvas, exit: { events } })} />
    </section>
  );
}
