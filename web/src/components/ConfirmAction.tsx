/**
 * A destructive row action that asks first (spec §8: Remove, Revoke … confirm with **Confirm**): the
 * button opens the question in place with Confirm and Cancel; Cancel takes the focus, so Enter on an
 * accidental open does nothing harmful. The mutation's error stays beside the question.
 */
import type { UseMutationResult } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { ErrorAlert } from './ErrorAlert.tsx';

export interface ConfirmActionProps {
  /** The button's text (Remove, Revoke). */
  label: string;
  /** What Confirm will do, in words. */
  question: string;
  /** The id of the element naming the row, so that "Remove" says which. */
  describedBy: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any mutation without variables; its data and error types do not matter here
  mutation: UseMutationResult<any, Error, void>;
  /** The error's prefix (Not removed, Not revoked). */
  failed: string;
  className: string;
}

export function ConfirmAction({ label, question, describedBy, mutation, failed, className }: ConfirmActionProps) {
  const [confirming, setConfirming] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) cancel.current?.focus();
  }, [confirming]);
  if (!confirming)
    return (
      <button type="button" className="secondary" aria-describedby={describedBy} onClick={() => setConfirming(true)}>
        {label}
      </button>
    );
  return (
    <div className={className}>
      <span>{question}</span>
      <span className="row">
        <button type="button" className="danger" onClick={() => mutation.mutate()} disabled={mutation.isPending}>
          Confirm
        </button>
        <button
          ref={cancel}
          type="button"
          className="secondary"
          onClick={() => {
            setConfirming(false);
            mutation.reset();
          }}
        >
          Cancel
        </button>
      </span>
      <ErrorAlert error={mutation.error} prefix={failed} />
    </div>
  );
}
