/**
 * Unsaved changes and a link to another dashboard page: "Leave without saving?" with **Leave** and
 * **Stay** (Stay has the focus; Escape stays). Leaving the site or reloading is the browser's own
 * beforeunload question, set up by the page.
 */
import { useEffect, useRef } from 'react';
import { useBlocker } from 'react-router';

export function LeaveGuard({ dirty }: { dirty: boolean }) {
  // Only a move to another page: a change of the query or hash on this canvas keeps its edits. Not the
  // way to /signin: that comes after the session has ended (Sign out, an expired session), when
  // staying could save nothing.
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname && nextLocation.pathname !== '/signin');
  const dialog = useRef<HTMLDialogElement>(null);
  const stay = useRef<HTMLButtonElement>(null);
  const asking = blocker.state === 'blocked';

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (asking && !d.open) {
      d.showModal();
      stay.current?.focus();
    } else if (!asking && d.open) d.close();
  }, [asking]);

  return (
    <dialog
      ref={dialog}
      className="leave-dialog"
      aria-labelledby="leave-question"
      onCancel={(e) => {
        // Escape: stay, through the blocker, so that it does not stay blocked behind a closed dialog.
        e.preventDefault();
        if (blocker.state === 'blocked') blocker.reset();
      }}
    >
      <p id="leave-question">
        <strong>Leave without saving?</strong> Your changes to this canvas are not saved and will be lost.
      </p>
      <div className="row">
        <button type="button" className="danger" onClick={() => blocker.state === 'blocked' && blocker.proceed()}>
          Leave
        </button>
        <button ref={stay} type="button" className="secondary" onClick={() => blocker.state === 'blocked' && blocker.reset()}>
          Stay
        </button>
      </div>
    </dialog>
  );
}
