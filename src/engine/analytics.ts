/**
 * Canvas analytics (spec §4, §2.7) from the durable step counts. Pure: the same rows always give the
 * same numbers. `pending` is its own counter (+1 when a user arrives at an audience_sync step, −1
 * when their item settles), so entered = synced + not_synced + pending + errored at every moment.
 * `failed` (every step; spec §9): entries that failed at the step, with their reasons, so that at
 * rest entered = proceeded + exited + (users still waiting in the step) + failed. An entry failing
 * at an audience_sync step is also errored there, with the same reason (executor.ts).
 */
import type { CanvasDefinition, CanvasStatus } from '../core/canvas.ts';
import type { StepCountRow } from '../store/journey-port.ts';

export interface StepAnalytics {
  id: string;
  type: string;
  entered: number;
  proceeded: number;
  exited: number;
  failed: number;
  failures: { reason: string; count: number }[];
  synced?: number;
  not_synced?: number;
  pending?: number;
  errored?: number;
  errors?: { reason: string; count: number }[];
  not_synced_reasons?: { reason: string; count: number }[];
}

export interface CanvasAnalytics {
  canvas_id: string;
  status: CanvasStatus;
  steps: StepAnalytics[];
  series: ({ minute: string; step_id: string } & Record<string, number | string>)[];
}

const METRICS = ['entered', 'proceeded', 'exited', 'failed', 'synced', 'not_synced', 'pending', 'errored'] as const;

export function buildAnalytics(canvasId: string, status: CanvasStatus, definition: CanvasDefinition, rows: readonly StepCountRow[]): CanvasAnalytics {
  const totals = new Map<string, number>();
  const reasons = new Map<string, Map<string, number>>();
  const series = new Map<string, Record<string, number>>();
  for (const r of rows) {
    totals.set(`${r.stepId}|${r.metric}`, (totals.get(`${r.stepId}|${r.metric}`) ?? 0) + r.count);
    if (r.reason !== '') {
      const key = `${r.stepId}|${r.metric}`;
      const m = reasons.get(key) ?? new Map<string, number>();
      m.set(r.reason, (m.get(r.reason) ?? 0) + r.count);
      reasons.set(key, m);
    }
    const sk = `${r.minute}|${r.stepId}`;
    const point = series.get(sk) ?? {};
    point[r.metric] = (point[r.metric] ?? 0) + r.count;
    series.set(sk, point);
  }
  const total = (stepId: string, metric: string) => totals.get(`${stepId}|${metric}`) ?? 0;
  const reasonList = (stepId: string, metric: string) =>
    [...(reasons.get(`${stepId}|${metric}`) ?? new Map<string, number>())].map(([reason, count]) => ({ reason, count })).filter((x) => x.count !== 0).sort((a, b) => b.count - a.count);
  const steps = definition.steps.map((s): StepAnalytics => {
    const base: StepAnalytics = { id: s.id, type: s.type, entered: total(s.id, 'entered'), proceeded: total(s.id, 'proceeded'), exited: total(s.id, 'exited'), failed: total(s.id, 'failed'), failures: reasonList(s.id, 'failed') };
    if (s.type !== 'audience_sync') return base;
    return {
      ...base,
      synced: total(s.id, 'synced'),
      not_synced: total(s.id, 'not_synced'),
      pending: total(s.id, 'pending'),
      errored: total(s.id, 'errored'),
      errors: reasonList(s.id, 'errored'),
      not_synced_reasons: reasonList(s.id, 'not_synced'),
    };
  });
  const points = [...series.entries()]
    .map(([key, values]) => {
      const [minute, stepId] = key.split('|') as [string, string];
      const point: { minute: string; step_id: string } & Record<string, number | string> = { minute: new Date(Number(minute)).toISOString(), step_id: stepId };
      for (const m of METRICS) if (values[m]) point[m] = values[m];
      return point;
    })
    .sort((a, b) => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : a.step_id < b.step_id ? -1 : 1));
  return { canvas_id: canvasId, status, steps, series: points };
}
