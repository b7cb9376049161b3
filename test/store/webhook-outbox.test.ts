/**
 * The webhook outbox's queries on both adapters: claims under a lease, capped per workspace,
 * disjoint between concurrent claimers (PostgreSQL: SKIP LOCKED), taken over once a lease runs out,
 * and every settle fenced by the lease it was claimed with.
 */
import { expect, it } from 'vitest';
import type { NewWebhookCall } from '../../src/store/webhook-port.ts';
import { describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const call = (workspaceId: string, entryId: number): NewWebhookCall => ({
  workspaceId, canvasId: 'cv', version: 1, stepId: 'hook', entryId,
  request: { url: `https://example.test/${entryId}`, method: 'POST', headers: { 'x-n': String(entryId) }, body: '{"n":1}', timeoutMs: null },
});

describeEachStore('store: webhook outbox', ({ store }) => {
  it('claims oldest first, at most the cap per workspace less what is busy; concurrent claims are disjoint; a run-out lease is taken over', async () => {
    const rows = [...Array.from({ length: 12 }, (_, i) => call('ws_a', 100 + i)), ...Array.from({ length: 3 }, (_, i) => call('ws_b', 200 + i)), ...Array.from({ length: 12 }, (_, i) => call('ws_c', 300 + i))];
    await store().transaction((tx) => tx.insertWebhookCalls(rows, NOW));
    expect(await store().countWebhookCalls()).toBe(27);

    const claim = (leaseId: string, busy: Map<string, number> = new Map()) => store().claimDueWebhookCalls({ now: NOW, limit: 64, perWorkspace: 4, busy, leaseMs: 1_000, leaseId });
    const [one, two] = await Promise.all([claim('L1', new Map([['ws_c', 4]])), claim('L2', new Map([['ws_c', 4]]))]);
    const ids = [...one, ...two].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const batch of [one, two]) {
      const per = new Map<string, number>();
      for (const c of batch) per.set(c.workspaceId, (per.get(c.workspaceId) ?? 0) + 1);
      expect(per.get('ws_a') ?? 0).toBeLessThanOrEqual(4);
      expect(per.get('ws_c') ?? 0).toBe(0); // at its cap
    }
    const first = one.find((c) => c.workspaceId === 'ws_a') ?? two.find((c) => c.workspaceId === 'ws_a')!;
    expect(first).toMatchObject({ stepId: 'hook', version: 1, attempts: 0, claimCount: 1, request: { method: 'POST', headers: { 'x-n': String(first.entryId) }, body: '{"n":1}', timeoutMs: null } });

    // The same ids cannot be claimed again while their leases hold; after they run out they can.
    const held = new Set(ids);
    const more = await store().claimDueWebhookCalls({ now: NOW, limit: 64, perWorkspace: 100, busy: new Map(), leaseMs: 1_000, leaseId: 'L3' });
    expect(more.some((c) => held.has(c.id))).toBe(false);
    const later = await store().claimDueWebhookCalls({ now: NOW + 1_001, limit: 64, perWorkspace: 100, busy: new Map(), leaseMs: 1_000, leaseId: 'L4' });
    expect(later.map((c) => c.id).sort((a, b) => a - b)).toEqual([...held, ...more.map((c) => c.id)].sort((a, b) => a - b));
    expect(later.find((c) => c.id === first.id)).toMatchObject({ claimCount: 2 });

    // Settles are fenced: the old lease changes nothing, the new one does.
    expect(await store().retryWebhookCalls([{ id: first.id, leaseId: first.leaseId, attempts: 1, dueAt: NOW + 500, lastError: 'HTTP 503' }])).toEqual(new Set());
    expect(await store().retryWebhookCalls([{ id: first.id, leaseId: 'L4', attempts: 1, dueAt: NOW + 5_000, lastError: 'HTTP 503' }])).toEqual(new Set([first.id]));
    expect((await store().claimDueWebhookCalls({ now: NOW + 4_999, limit: 64, perWorkspace: 100, busy: new Map(), leaseMs: 1_000, leaseId: 'L5' })).some((c) => c.id === first.id)).toBe(false);
    const retried = (await store().claimDueWebhookCalls({ now: NOW + 5_000, limit: 64, perWorkspace: 100, busy: new Map(), leaseMs: 1_000, leaseId: 'L6' })).find((c) => c.id === first.id)!;
    expect(retried).toMatchObject({ attempts: 1, claimCount: 3 });

    const other = later.find((c) => c.id !== first.id)!;
    const finished = await store().transaction((tx) => tx.finishWebhookCalls([{ id: retried.id, leaseId: 'L4' }, { id: retried.id, leaseId: 'L6' }, { id: other.id, leaseId: 'L1' }]));
    // The entries do not exist in this test: the call is done with, its entry answered as gone.
    expect(finished).toEqual(new Map([[retried.id, null]]));
    expect(await store().countWebhookCalls()).toBe(26);
  });
});
