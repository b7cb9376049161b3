/**
 * Prometheus metrics of the sync (issue #4 item 6), served at GET /metrics. Bumped after commits
 * from the sender's events: informational, never the source of the numbers the dashboard shows
 * (those are step_counts, written in the same transaction as the change).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Store } from '../store/port.ts';
import type { SenderEvent } from './sender.ts';

export interface SyncMetrics {
  /** Metrics that name no tenant: anyone who can reach /metrics may read them. */
  registry: Registry;
  /** Prometheus text; `withTenantIds` adds the series labelled by workspace and audience (spec §9: only for a scraper with COHORT_METRICS_TOKEN). */
  text(withTenantIds: boolean): Promise<string>;
  observe(e: SenderEvent): void;
}

export function createSyncMetrics(store: Store): SyncMetrics {
  const registry = new Registry();
  const tenantRegistry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cohort_' });
  const requests = new Counter({ name: 'cohort_sync_requests_total', help: 'TikTok mapping requests by outcome (ok, rate_limited, transient, invalid_token, permission, audience_not_found, bad_request)', labelNames: ['outcome'], registers: [registry] });
  const rows = new Counter({ name: 'cohort_sync_rows_sent_total', help: 'Users carried by mapping requests TikTok accepted', registers: [registry] });
  const rateLimitWaits = new Counter({ name: 'cohort_sync_rate_limit_waits_total', help: 'Times TikTok answered with a rate limit and the sender slowed down', registers: [registry] });
  const settled = new Counter({ name: 'cohort_sync_items_settled_total', help: 'Sync items that reached a final outcome', labelNames: ['outcome', 'reason'], registers: [registry] });
  const lag = new BatchHistogram('cohort_sync_ack_lag_seconds', "Time from a user's entry into the audience_sync step to TikTok's acknowledgement", [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600]);
  registry.registerMetric(lag as unknown as Metric);
  new Gauge({
    name: 'cohort_sync_pending_items',
    help: 'Pending sync items, all workspaces together',
    registers: [registry],
    async collect() {
      this.set((await store.pendingByAudience()).reduce((n, q) => n + q.count, 0));
    },
  });
  new Gauge({
    name: 'cohort_sync_queue_depth',
    help: 'Pending sync items per audience (served only to a scraper holding COHORT_METRICS_TOKEN)',
    labelNames: ['workspace_id', 'audience_id'],
    registers: [tenantRegistry],
    async collect() {
      this.reset();
      for (const q of await store.pendingByAudience()) this.set({ workspace_id: q.workspaceId, audience_id: q.audienceId }, q.count);
    },
  });
  return {
    registry,
    text: (withTenantIds) => (withTenantIds ? Registry.merge([registry, tenantRegistry]) : registry).metrics(),
    observe(e) {
      if (e.kind === 'request') {
        requests.inc({ outcome: e.outcome });
        if (e.outcome === 'ok') rows.inc(e.rows);
      } else if (e.kind === 'rate_limited') rateLimitWaits.inc();
      else if (e.kind === 'settled') {
        settled.inc({ outcome: e.outcome, reason: e.reason ?? '' }, e.count);
        for (const l of e.lags) lag.observe(l.ms / 1000, l.users);
      }
    },
  };
}

/**
 * A Prometheus histogram observed a batch at a time: a settle acknowledges up to 10,000 users with
 * one lag, and prom-client's Histogram takes one value per call (per user, ~1 µs of the main
 * thread each, and an array of lags sent from the sender thread). Same exposition as prom-client's.
 */
export class BatchHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = upperBounds.map(() => 0);
  }
  /** `times` observations of `value`. */
  observe(value: number, times: number): void {
    const b = this.upperBounds.findIndex((le) => value <= le);
    if (b >= 0) this.counts[b]! += times;
    this.sum += value * times;
    this.count += times;
  }
  get() {
    let cumulative = 0;
    const bucket = `${this.name}_bucket`;
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [
        ...this.upperBounds.map((le, i) => ({ labels: { le }, value: (cumulative += this.counts[i]!), metricName: bucket })),
        { labels: { le: '+Inf' }, value: this.count, metricName: bucket },
        { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
        { labels: {}, value: this.count, metricName: `${this.name}_count` },
      ],
    };
  }
  reset(): void {
    this.counts = this.upperBounds.map(() => 0);
    this.sum = 0;
    this.count = 0;
  }
}
