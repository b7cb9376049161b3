/**
 * Prometheus metrics of the sync (issue #4 item 6), served at GET /metrics. Bumped after commits
 * from the sender's events: informational, never the source of the numbers the dashboard shows
 * (those are step_counts, written in the same transaction as the change).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/port.ts';
import type { SenderEvent } from './sender.ts';

export interface SyncMetrics {
  registry: Registry;
  observe(e: SenderEvent): void;
}

export function createSyncMetrics(store: Store): SyncMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cohort_' });
  const requests = new Counter({ name: 'cohort_sync_requests_total', help: 'TikTok mapping requests by outcome (ok, rate_limited, transient, invalid_token, permission, audience_not_found, bad_request)', labelNames: ['outcome'], registers: [registry] });
  const rows = new Counter({ name: 'cohort_sync_rows_sent_total', help: 'Users carried by mapping requests TikTok accepted', registers: [registry] });
  const rateLimitWaits = new Counter({ name: 'cohort_sync_rate_limit_waits_total', help: 'Times TikTok answered with a rate limit and the sender slowed down', registers: [registry] });
  const settled = new Counter({ name: 'cohort_sync_items_settled_total', help: 'Sync items that reached a final outcome', labelNames: ['outcome', 'reason'], registers: [registry] });
  const lag = new Histogram({
    name: 'cohort_sync_ack_lag_seconds',
    help: "Time from a user's entry into the audience_sync step to TikTok's acknowledgement",
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  new Gauge({
    name: 'cohort_sync_queue_depth',
    help: 'Pending sync items per audience',
    labelNames: ['workspace_id', 'audience_id'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of await store.pendingByAudience()) this.set({ workspace_id: q.workspaceId, audience_id: q.audienceId }, q.count);
    },
  });
  return {
    registry,
    observe(e) {
      if (e.kind === 'request') {
        requests.inc({ outcome: e.outcome });
        if (e.outcome === 'ok') rows.inc(e.rows);
      } else if (e.kind === 'rate_limited') rateLimitWaits.inc();
      else if (e.kind === 'settled') {
        settled.inc({ outcome: e.outcome, reason: e.reason ?? '' }, e.count);
        for (const ms of e.lagMs) lag.observe(ms / 1000);
      }
    },
  };
}
