/**
 * The webhook sender (spec §9, issue 16): webhook calls run outside every entry batch. A webhook
 * step parks its user and writes the rendered request to the outbox (executor.ts); this sender
 * claims due calls under a lease (several workers can share a PostgreSQL database: SKIP LOCKED),
 * at most `perWorkspace` in flight per workspace and `maxInFlight` in all, makes each with a timeout,
 * and schedules a transient failure's next attempt as the call's `due_at` (no sleep holds a slot).
 * When a call ends — success, a final answer, or the last attempt — one transaction deletes the
 * call (fenced by its lease), records the delivery, and moves the user on from the webhook step with
 * its counts (executor.ts `resumeParked`), due at once for the worker. A crash leaves the lease to
 * expire and the call to be made again (at-least-once); the user moves on exactly once.
 */
import { randomUUID } from 'node:crypto';
import type { CanvasDefinition } from '../core/canvas.ts';
import type { Clock } from '../core/clock.ts';
import { pollLoop } from '../core/poll-loop.ts';
import type { WebhookDelivery } from '../store/journey-port.ts';
import type { Store } from '../store/port.ts';
import type { ClaimedWebhookCall, WebhookRetry } from '../store/webhook-port.ts';
import { versionKey, type CanvasReader } from './canvas-reader.ts';
import { commitSplit } from './commit-split.ts';
import { failedOutcome, resumeParked, writeOutcomes, WRITE_REFUSED, type Outcome } from './executor.ts';
import type { StepIO } from './steps/index.ts';
import { attemptWebhook, type AttemptResult } from './webhook-attempt.ts';

export interface WebhookSenderOptions {
  store: Store;
  canvases: CanvasReader;
  clock: Clock;
  /** One attempt (StepIO.http): the guarded transport in `serve`. */
  http: StepIO['http'];
  /** The longest one attempt may take (spec §9: 10 s); a step's own `timeout_ms` is capped by it. */
  timeoutMs?: number;
  /** Calls in flight at once per workspace, and in all, in this process. */
  perWorkspace?: number;
  maxInFlight?: number;
  /** The waits before the second, third… attempt (0.5 s, then 2 s): one attempt more than waits. */
  retryDelaysMs?: readonly number[];
  leaseMs?: number;
  idleMs?: number;
  /** Called after ended calls moved their users on (the journey worker is woken). */
  afterSettle?: () => void;
  onError?: (error: unknown) => void;
}

export interface WebhookSender {
  start(): void;
  /** Stops claiming, waits for the calls in flight (each ends within its timeout) and settles them. */
  stop(): Promise<void>;
  wake(): void;
  /** One pass: settles the calls that ended, then claims and starts due ones. Returns the work done (0 = idle). */
  runOnce(): Promise<number>;
  /** Passes until nothing is due, in flight or left to settle (tests). Returns the work done (0: there was none). */
  drain(): Promise<number>;
  /** 'ok' while its loop runs and the last pass succeeded (GET /readyz). */
  health(): 'ok' | string;
}

/** Claims without a settle before a call is given up: a call that keeps killing its process must not come back forever. */
const MAX_UNSETTLED_CLAIMS = 5;

interface Ended {
  call: ClaimedWebhookCall;
  result: AttemptResult;
}

export function createWebhookSender(o: WebhookSenderOptions): WebhookSender {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const perWorkspace = o.perWorkspace ?? 8;
  const maxInFlight = o.maxInFlight ?? 64;
  const delays = o.retryDelaysMs ?? [500, 2_000];
  // Far above a call's timeout: a lease never runs out under a call still being made.
  const leaseMs = o.leaseMs ?? Math.max(60_000, 3 * timeoutMs);
  const inFlight = new Map<number, Promise<void>>();
  const busy = new Map<string, number>();
  const ended: Ended[] = [];

  function start(call: ClaimedWebhookCall): void {
    busy.set(call.workspaceId, (busy.get(call.workspaceId) ?? 0) + 1);
    const made =
      call.claimCount > call.attempts + MAX_UNSETTLED_CLAIMS
        ? Promise.resolve<AttemptResult>({ httpStatus: null, error: 'delivery_abandoned', transient: false })
        : attemptWebhook(o.http, call.request, Math.min(call.request.timeoutMs ?? timeoutMs, timeoutMs));
    const done = made.then((result) => {
      ended.push({ call, result });
      const n = busy.get(call.workspaceId)! - 1;
      if (n === 0) busy.delete(call.workspaceId);
      else busy.set(call.workspaceId, n);
      inFlight.delete(call.id);
      loop.wake();
    });
    inFlight.set(call.id, done);
  }

  async function runOnce(): Promise<number> {
    let work = 0;
    if (ended.length > 0) {
      const batch = ended.splice(0);
      try {
        await settle(batch);
      } catch (error) {
        ended.unshift(...batch); // the database failed: settle them on a later pass (fenced by their leases)
        throw error;
      }
      work += batch.length;
      o.afterSettle?.();
    }
    const free = maxInFlight - inFlight.size;
    if (free > 0) {
      const calls = await o.store.claimDueWebhookCalls({ now: o.clock.now(), limit: free, perWorkspace, busy, leaseMs, leaseId: randomUUID() });
      for (const call of calls) start(call);
      work += calls.length;
    }
    return work;
  }

  /** Transient failures with attempts left are due again later; every other call ends, its user moved on. */
  async function settle(batch: readonly Ended[]): Promise<void> {
    const now = o.clock.now();
    const retries: WebhookRetry[] = [];
    const finals: Ended[] = [];
    for (const e of batch) {
      const attempts = e.call.attempts + 1;
      if (e.result.transient && attempts <= delays.length) retries.push({ id: e.call.id, leaseId: e.call.leaseId, attempts, dueAt: now + delays[attempts - 1]!, lastError: e.result.error ?? '' });
      else finals.push(e);
    }
    if (retries.length > 0) await o.store.retryWebhookCalls(retries);
    if (finals.length === 0) return;
    // Versions never change: read before the transaction (on SQLite only `tx` may be used inside it).
    const definitions = await definitionsOf(finals.map((e) => e.call));
    const definition = (c: ClaimedWebhookCall) => definitions.get(c.workspaceId)?.get(versionKey(c.canvasId, c.version));
    await commitSplit(
      o.store,
      finals,
      async (tx, part) => {
        const entries = await tx.finishWebhookCalls(part.map((e) => e.call));
        const moves: { outcome: Outcome; fromStep: string }[] = [];
        const unparked: WebhookDelivery[] = [];
        for (const e of part) {
          if (!entries.has(e.call.id)) continue; // the lease ran out: whoever holds the call now ends it
          const entry = entries.get(e.call.id)!;
          const delivery = deliveryOf(e);
          if (entry && entry.status === 'active' && entry.dueAt === null && entry.stepId === e.call.stepId) moves.push({ outcome: resumeParked(entry, definition(e.call), delivery, now), fromStep: e.call.stepId });
          else unparked.push(delivery); // the user is no longer waiting here: the call is only recorded
        }
        const moved = await tx.resumeParkedEntries(moves.map((m) => ({ update: m.outcome.update, fromStep: m.fromStep })));
        await writeOutcomes(tx, moves.filter((m) => moved.has(m.outcome.update.id)).map((m) => m.outcome), now);
        await tx.insertWebhookDeliveries(unparked, now);
        return part.length;
      },
      // Refused even alone: the user fails at the webhook step, the call is done with.
      async (e, error) => {
        o.onError?.(error);
        return o.store.transaction(async (tx) => {
          const entry = (await tx.finishWebhookCalls([e.call])).get(e.call.id);
          if (!entry || entry.status !== 'active' || entry.dueAt !== null || entry.stepId !== e.call.stepId) return 0;
          const failed = failedOutcome(entry, definition(e.call), WRITE_REFUSED, now);
          if ((await tx.resumeParkedEntries([{ update: failed.update, fromStep: e.call.stepId }])).size === 0) return 0;
          await writeOutcomes(tx, [failed], now);
          return 1;
        });
      },
    );
  }

  async function definitionsOf(calls: readonly ClaimedWebhookCall[]): Promise<Map<string, Map<string, CanvasDefinition>>> {
    const refs = new Map<string, Map<string, { canvasId: string; version: number }>>();
    for (const c of calls) {
      const of = refs.get(c.workspaceId) ?? new Map<string, { canvasId: string; version: number }>();
      of.set(versionKey(c.canvasId, c.version), { canvasId: c.canvasId, version: c.version });
      refs.set(c.workspaceId, of);
    }
    const out = new Map<string, Map<string, CanvasDefinition>>();
    for (const [workspaceId, of] of refs) out.set(workspaceId, await o.canvases.getDefinitions(workspaceId, [...of.values()]));
    return out;
  }

  const loop = pollLoop(async () => (await runOnce()) > 0, {
    idleMs: o.idleMs ?? 200,
    onError: o.onError,
    // Calls in flight end within their timeout; their users are moved on before the sender stops.
    onStop: async () => {
      await Promise.all(inFlight.values());
      if (ended.length > 0) await settle(ended.splice(0)).catch((error: unknown) => o.onError?.(error));
    },
  });

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    wake: () => loop.wake(),
    health: () => loop.health(),
    runOnce,
    async drain() {
      let total = 0;
      for (;;) {
        const work = await runOnce();
        total += work;
        if (inFlight.size > 0) await Promise.race(inFlight.values());
        else if (work === 0 && ended.length === 0) return total;
      }
    },
  };
}

function deliveryOf(e: Ended): WebhookDelivery {
  const { call, result } = e;
  return { workspaceId: call.workspaceId, canvasId: call.canvasId, stepId: call.stepId, entryId: call.entryId, ok: result.error === null, httpStatus: result.httpStatus, error: result.error, attempts: call.attempts + 1 };
}
