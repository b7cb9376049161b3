import { expect, it } from 'vitest';
import { parseCanvas } from '../core/canvas.ts';
import { buildAnalytics } from './analytics.ts';

const parsed = parseCanvas({
  name: 'c',
  first_step: 'sync',
  steps: [
    { id: 'sync', type: 'audience_sync', next: 'wait', config: { advertiser_id: 'a', audience_id: 'b', fields: ['email'] } },
    { id: 'wait', type: 'delay', next: null, config: { seconds: 60 } },
  ],
});
if (!parsed.ok) throw new Error('fixture');
const M0 = Date.parse('2026-11-28T12:00:00Z');
const M1 = M0 + 60_000;

it('sums counts per step, keeps sync fields on audience_sync steps only, and lists reasons (failures on every step)', () => {
  const a = buildAnalytics('cv_1', 'active', parsed.canvas, [
    { stepId: 'sync', metric: 'entered', reason: '', minute: M0, count: 10 },
    { stepId: 'sync', metric: 'entered', reason: '', minute: M1, count: 5 },
    { stepId: 'sync', metric: 'proceeded', reason: '', minute: M0, count: 15 },
    { stepId: 'sync', metric: 'pending', reason: '', minute: M0, count: 12 },
    { stepId: 'sync', metric: 'pending', reason: '', minute: M1, count: -9 },
    { stepId: 'sync', metric: 'synced', reason: '', minute: M1, count: 8 },
    { stepId: 'sync', metric: 'errored', reason: 'audience_not_found', minute: M1, count: 1 },
    { stepId: 'sync', metric: 'not_synced', reason: 'missing_fields', minute: M0, count: 3 },
    { stepId: 'wait', metric: 'entered', reason: '', minute: M0, count: 15 },
    { stepId: 'wait', metric: 'failed', reason: 'invalid_value', minute: M0, count: 2 },
  ]);
  expect(a.steps).toEqual([
    { id: 'sync', type: 'audience_sync', entered: 15, proceeded: 15, exited: 0, failed: 0, failures: [], synced: 8, not_synced: 3, pending: 3, errored: 1,
      errors: [{ reason: 'audience_not_found', count: 1 }], not_synced_reasons: [{ reason: 'missing_fields', count: 3 }] },
    { id: 'wait', type: 'delay', entered: 15, proceeded: 0, exited: 0, failed: 2, failures: [{ reason: 'invalid_value', count: 2 }] },
  ]);
  const sync = a.steps[0]!;
  expect(sync.entered).toBe(sync.synced! + sync.not_synced! + sync.pending! + sync.errored!);
  expect(a.series[0]).toEqual({ minute: '2026-11-28T12:00:00.000Z', step_id: 'sync', entered: 10, proceeded: 15, pending: 12, not_synced: 3 });
  expect(a.series.map((p) => `${p.minute} ${p.step_id}`)).toEqual(['2026-11-28T12:00:00.000Z sync', '2026-11-28T12:00:00.000Z wait', '2026-11-28T12:01:00.000Z sync']);
});
