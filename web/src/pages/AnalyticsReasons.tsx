/**
 * Why users did not make it, per step (spec §2 item 7: errored reasons with counts; also not-synced
 * reasons and entries that failed, which the API gives too), and **Retry errored users** on an Audience
 * Sync step that has errored users (editors and admins; absent for viewers, whom the API refuses).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, seg } from '../api/client.ts';
import type { ReasonCount, StepAnalytics } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { can, useSignedIn } from '../session.tsx';
import { analyticsKey } from './analytics-series.ts';
import { count, plural, stepTypeText } from './analytics-words.ts';
import { reasonText } from './reason-words.ts';

const hasReasons = (s: StepAnalytics): boolean =>
  (s.errored ?? 0) > 0 || (s.errors?.length ?? 0) > 0 || (s.not_synced_reasons?.length ?? 0) > 0 || (s.failures?.length ?? 0) > 0;

export function StepReasons({ canvasId, steps }: { canvasId: string; steps: StepAnalytics[] }) {
  const shown = steps.filter(hasReasons);
  // Here, not in the step's card: a retried step may have nothing left to show, and the card goes.
  const [done, setDone] = useState<string | null>(null);
  return (
    <section aria-labelledby="reasons-heading">
      <h2 id="reasons-heading">Not synced, errored and failed users</h2>
      <div role="status">{done ? <p className="alert ok">{done}</p> : null}</div>
      {shown.length === 0 ? <p className="analytics-empty">No user has been left unsynced, errored or failed at any step.</p> : null}
      {shown.map((s) => (
        <StepReasonCard key={s.id} canvasId={canvasId} step={s} onRetried={setDone} />
      ))}
    </section>
  );
}

function StepReasonCard({ canvasId, step, onRetried }: { canvasId: string; step: StepAnalytics; onRetried: (message: string | null) => void }) {
  const session = useSignedIn();
  const client = useQueryClient();
  const headingId = `reasons-${step.id}`;
  const retry = useMutation({
    mutationFn: () => api<{ requeued: number }>('POST', `/api/canvases/${seg(canvasId)}/steps/${seg(step.id)}/retry-errored`),
    onMutate: () => onRetried(null),
    onSuccess: ({ requeued }) => {
      onRetried(
        requeued === 0
          ? `Requeued 0 users at ${step.id}: none was errored any more.`
          : `Requeued ${plural(requeued, 'user', 'users')} at ${step.id}: they are pending again, with a fresh retry window, and go to TikTok in the next seconds.`,
      );
      void client.invalidateQueries({ queryKey: analyticsKey(canvasId) });
    },
  });
  const errored = step.errored ?? 0;
  return (
    <div className="card reasons-card">
      <h3 id={headingId}>
        <span className="step-id">{step.id}</span> <small className="step-type">{stepTypeText(step.type)}</small>
      </h3>
      {step.type === 'audience_sync' ? (
        <>
          {errored > 0 ? (
            <div className="reasons-errored">
              <p>
                Users Errored: <strong>{count(errored)}</strong>
              </p>
              {can(session, 'editor') ? (
                <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending} aria-describedby={headingId}>
                  {retry.isPending ? 'Retrying…' : 'Retry errored users'}
                </button>
              ) : null}
            </div>
          ) : null}
          <ErrorAlert error={retry.error} prefix="Errored users could not be retried" />
          <ReasonList title="Why users errored" reasons={step.errors} />
          <ReasonList title="Why users were not synced" reasons={step.not_synced_reasons} />
        </>
      ) : null}
      <ReasonList title="Why entries failed at this step" reasons={step.failures} />
    </div>
  );
}

function ReasonList({ title, reasons }: { title: string; reasons: ReasonCount[] | undefined }) {
  if (!reasons || reasons.length === 0) return null;
  return (
    <>
      <h4>{title}</h4>
      <ul className="reasons">
        {reasons.map((r) => {
          const { code, meaning } = reasonText(r.reason);
          return (
            <li key={r.reason}>
              <strong className="reason-count">{plural(r.count, 'user', 'users')}</strong> <code>{code}</code>
              {meaning ? <span className="reason-detail">: {meaning}</span> : null}
            </li>
          );
        })}
      </ul>
    </>
  );
}
