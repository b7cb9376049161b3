import { Histogram, Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BatchHistogram } from './metrics.ts';

describe('BatchHistogram', () => {
  it('exposes what prom-client exposes for the same observations, taken a batch at a time', async () => {
    const buckets = [0.1, 0.5, 1, 60];
    const observations: [number, number][] = [[0.05, 3], [0.1, 1], [0.7, 2], [59.5, 4], [4_000, 1]];
    const ours = new Registry();
    const batch = new BatchHistogram('lag_seconds', 'help text', buckets);
    ours.registerMetric(batch as unknown as Metric);
    const theirs = new Registry();
    const single = new Histogram({ name: 'lag_seconds', help: 'help text', buckets, registers: [theirs] });
    for (const [value, times] of observations) {
      batch.observe(value, times);
      for (let i = 0; i < times; i++) single.observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toMatch(/^lag_seconds_count 11$/m);
    batch.reset();
    expect(await ours.metrics()).toMatch(/^lag_seconds_count 0$/m);
  });
});
