/**
 * A canvas's analytics (spec §8 "analytics", §2 item 7, issue #17 item 5): Braze's seven numbers per
 * step, why users were not synced, errored or failed, users synced per minute, and Retry errored users.
 * It polls GET /api/canvases/{id}/analytics every 2 seconds while the tab is visible, so the numbers
 * move by themselves while users flow through (no reload, no server push to keep open).
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { api, seg } from '../api/client.ts';
import type { Analytics, Canvas, CanvasStatus, StepAnalytics } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { AnalyticsChart } from './AnalyticsChart.tsx';
import { StepReasons } from './AnalyticsReasons.tsx';
import { analyticsKey, chartData } from './analytics-series.ts';
import { count, stepTypeText } from './analytics-words.ts';
import './analytics.css';

const REFRESH_MS = 2_000;

const STATUS: Record<CanvasStatus, { word: string; badge: string }> = {
  draft: { word: 'Draft', badge: 'badge' },
  active: { word: 'Active', badge: 'badge ok' },
  stopped: { word: 'Stopped', badge: 'badge warn' },
  archived: { word: 'Archived', badge: 'badge' },
};

export function AnalyticsPage() {
  const { id = '' } = useParams();
  const canvas = useQuery({ queryKey: ['canvas', id], queryFn: () => api<Canvas>('GET', `/api/canvases/${seg(id)}`) });
  const analytics = useQuery({
    queryKey: analyticsKey(id),
    queryFn: () => api<Analytics>('GET', `/api/canvases/${seg(id)}/analytics`),
    // TanStack Query pauses the interval while the tab is hidden (refetchIntervalInBackground is false).
    refetchInterval: REFRESH_MS,
    // A canvas that does not exist will not appear by asking again.
    enabled: !canvas.isError,
  });
  const name = canvas.data?.name;
  usePageTitle(name ? `${name} · Analytics` : 'Analytics');

  const status = analytics.data?.status ?? canvas.data?.status;
  const syncSteps = useMemo(() => new Set((analytics.data?.steps ?? []).filter((s) => s.type === 'audience_sync').map((s) => s.id)), [analytics.data]);
  // Recomputed on each answer (every 2 s), which also moves the chart's right edge to the current minute.
  const chart = useMemo(() => (analytics.data ? chartData(analytics.data.series, syncSteps, analytics.dataUpdatedAt) : null), [analytics.data, analytics.dataUpdatedAt, syncSteps]);

  return (
    <div className="analytics-page">
      <p className="analytics-back">
        <Link to={`/canvases/${seg(id)}`}>← Back to the canvas</Link>
      </p>
      <div className="analytics-head">
        <h1>
          <span className="analytics-kicker">Analytics</span> {name ?? (canvas.isPending ? '…' : id)}
        </h1>
        {status ? <span className={STATUS[status].badge}>{STATUS[status].word}</span> : null}
      </div>
      {canvas.isError ? <ErrorAlert error={canvas.error} prefix="This canvas could not be loaded" /> : null}
      {analytics.isPending && !canvas.isError ? <p className="loading">Loading…</p> : null}
      {analytics.data ? (
        <>
          <p className="analytics-updated" aria-live="off">
            <small>
              Updated <time dateTime={new Date(analytics.dataUpdatedAt).toISOString()}>{new Date(analytics.dataUpdatedAt).toLocaleTimeString()}</time> · refreshes every 2
              seconds while this tab is open
            </small>
          </p>
          {analytics.isRefetchError ? <ErrorAlert error={analytics.error} prefix="The numbers could not be refreshed; these are the last ones received" /> : null}
          <StepsTable steps={analytics.data.steps} />
          <section aria-labelledby="chart-heading">
            <h2 id="chart-heading">Audience Sync per minute</h2>
            {chart ? (
              <AnalyticsChart data={chart} />
            ) : (
              <p className="analytics-empty">
                {syncSteps.size === 0 ? 'This canvas has no Audience Sync step, so there is nothing to chart.' : 'No user has reached an Audience Sync step yet. Users synced, not synced and errored will appear here minute by minute.'}
              </p>
            )}
          </section>
          <StepReasons canvasId={id} steps={analytics.data.steps} />
        </>
      ) : analytics.isError && !canvas.isError ? (
        <ErrorAlert error={analytics.error} prefix="The numbers could not be loaded" />
      ) : null}
    </div>
  );
}

const NUMBERS = ['Entered', 'Proceeded to Next Step', 'Users Synced', 'Users Not Synced', 'Users Pending', 'Users Errored', 'Exited Canvas'] as const;

function StepsTable({ steps }: { steps: StepAnalytics[] }) {
  const sync = (s: StepAnalytics, n: number | undefined) => (s.type === 'audience_sync' ? count(n ?? 0) : '—');
  return (
    <div className="table-scroll">
      <table className="analytics-table">
        <caption className="visually-hidden">Users per step</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            {NUMBERS.map((h) => (
              <th scope="col" className="num" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => (
            // The step is a cell, not a row header, so that cell n of a row is under column header n.
            <tr key={s.id}>
              <td>
                <span className="step-id">{s.id}</span> <small className="step-type">{stepTypeText(s.type)}</small>
              </td>
              <td className="num">{count(s.entered)}</td>
              <td className="num">{count(s.proceeded)}</td>
              <td className="num">{sync(s, s.synced)}</td>
              <td className="num">{sync(s, s.not_synced)}</td>
              <td className="num">{sync(s, s.pending)}</td>
              <td className={`num${(s.errored ?? 0) > 0 ? ' has-errors' : ''}`}>{sync(s, s.errored)}</td>
              <td className="num">{count(s.exited)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {steps.some((s) => s.type !== 'audience_sync') ? <p className="table-note"><small>— : only Audience Sync steps sync users to TikTok.</small></p> : null}
    </div>
  );
}
