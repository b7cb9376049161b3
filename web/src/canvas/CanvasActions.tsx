/**
 * **Save**, **Launch**, **Stop**, **Archive** (spec §8) for editors and admins, each only where the
 * lifecycle allows it (draft → active → stopped → archived; a stopped canvas launches again). Stop and
 * Archive ask first, with **Confirm** and Cancel; Escape cancels.
 */
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { seg } from '../api/client.ts';
import type { CanvasStatus } from '../api/types.ts';

export interface CanvasActionsProps {
  canvasId: string;
  status: CanvasStatus;
  /** Editors and admins; viewers get no buttons at all. */
  editor: boolean;
  dirty: boolean;
  busy: boolean;
  onSave: () => void;
  onLaunch: () => void;
  onStop: () => void;
  onArchive: () => void;
}

const ASK = {
  stop: { question: 'Stop this canvas?', detail: 'No new users will enter. Users already inside continue their steps. You can launch it again later.' },
  archive: { question: 'Archive this canvas?', detail: 'It stops (if active) and becomes read-only for good. Its analytics stay.' },
} as const;

export function CanvasActions({ canvasId, status, editor, dirty, busy, onSave, onLaunch, onStop, onArchive }: CanvasActionsProps) {
  const [asking, setAsking] = useState<keyof typeof ASK | null>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    // The safe choice has focus: Enter does not stop or archive by accident.
    if (asking) cancel.current?.focus();
  }, [asking]);

  return (
    <div className="canvas-actions">
      <div className="row">
        {editor && status !== 'archived' ? (
          <button type="button" onClick={onSave} disabled={busy}>
            Save
          </button>
        ) : null}
        {editor && (status === 'draft' || status === 'stopped') ? (
          <button type="button" onClick={onLaunch} disabled={busy}>
            Launch
          </button>
        ) : null}
        {editor && status === 'active' ? (
          <button type="button" className="secondary" onClick={() => setAsking('stop')} disabled={busy || asking !== null}>
            Stop
          </button>
        ) : null}
        {editor && status !== 'archived' ? (
          <button type="button" className="secondary" onClick={() => setAsking('archive')} disabled={busy || asking !== null}>
            Archive
          </button>
        ) : null}
        {status !== 'draft' ? (
          <Link className="button secondary" to={`/canvases/${seg(canvasId)}/analytics`}>
            Analytics
          </Link>
        ) : null}
        {editor && status !== 'archived' && dirty ? <span className="badge warn">Unsaved changes</span> : null}
      </div>
      {asking ? (
        <div
          className="confirm alert warn"
          role="group"
          aria-label={ASK[asking].question}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setAsking(null);
          }}
        >
          <p>
            <strong>{ASK[asking].question}</strong> {ASK[asking].detail}
          </p>
          <div className="row">
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => {
                const act = asking === 'stop' ? onStop : onArchive;
                setAsking(null);
                act();
              }}
            >
              Confirm
            </button>
            <button ref={cancel} type="button" className="secondary" onClick={() => setAsking(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
