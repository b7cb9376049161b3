/** The API with the real journey engine and a worker driven by the test (drain), over one store. */
import type { ApiDeps } from '../../src/api/deps.ts';
import { storeCanvasReader } from '../../src/engine/canvas-reader.ts';
import { engineHooks } from '../../src/engine/events.ts';
import type { StepIO } from '../../src/engine/steps/index.ts';
import { createWebhookSender, type WebhookSender, type WebhookSenderOptions } from '../../src/engine/webhook-sender.ts';
import { createWorker, type Worker } from '../../src/engine/worker.ts';
import type { IdentifierHasher } from '../../src/partners/tiktok/hash-pool.ts';
import type { Store } from '../../src/store/port.ts';
import { parseAllowList } from '../../src/webhooks/address-policy.ts';
import { guardedHttp, type Resolve } from '../../src/webhooks/guarded-http.ts';
import { testApi, type TestApi } from './api.ts';

export const CONNECTED: Awaited<ReturnType<ApiDeps['tiktokLaunchContext']>> = { status: 'connected', advertiserIds: ['7000000000000000001', '7000000000000000002'] };

export interface EngineHarness extends TestApi {
  /**
   * The journey worker. Its `drain()` also drains the webhook sender, again and again until neither
   * has work: a user passes a webhook step asynchronously (parked, then moved on when the call ends).
   */
  worker: Worker;
  webhooks: WebhookSender;
}

/** No name resolves unless a test says so: tests never ask a real resolver, let alone a host outside this machine. */
export const noDns: Resolve = async (hostname) => {
  throw Object.assign(new Error(`test: no DNS for ${hostname}`), { code: 'ENOTFOUND' });
};

export interface EngineHarnessOptions {
  hasher?: IdentifierHasher;
  /** COHORT_WEBHOOK_ALLOW_HOSTS as `cohort serve` would read it: tests with a receiver on 127.0.0.1 open it here. */
  webhookAllowHosts?: string;
  /** The webhook guard's resolver (default: nothing resolves). */
  lookup?: Resolve;
  /** Tells the test's sender that sync items are due (the retry-errored route wakes it). */
  wakeSync?: () => void;
  /** The webhook transport (default: the guard `cohort serve` wires, main.ts). */
  http?: StepIO['http'];
  /** Webhook sender settings (timeouts, caps, retry delays) a test wants to change. */
  webhooks?: Partial<Pick<WebhookSenderOptions, 'timeoutMs' | 'perWorkspace' | 'maxInFlight' | 'retryDelaysMs' | 'leaseMs'>>;
}

export async function engineHarness(store: Store, o: EngineHarnessOptions = {}): Promise<EngineHarness> {
  const canvases = storeCanvasReader(store);
  const ref: { worker?: Worker; webhooks?: WebhookSender } = {};
  const allow = parseAllowList(o.webhookAllowHosts);
  if (!allow.ok) throw new Error(`bad webhookAllowHosts: ${allow.invalid.join(', ')}`);
  // The webhook transport `cohort serve` wires (main.ts).
  const guard = guardedHttp({ allow: allow.allow, lookup: o.lookup ?? noDns });
  const api = await testApi(store, {
    engine: engineHooks(),
    journeys: { canvases, wake: () => ref.worker?.wake(), ...(o.wakeSync ? { wakeSync: o.wakeSync } : {}) },
    tiktokLaunchContext: async () => CONNECTED,
    webhookTargetCheck: (url) => guard.check(url),
  });
  const worker = createWorker({ store, canvases, clock: api.clock, batchSize: 500, launchChunk: 1_000, launchPart: 1_000, ...(o.hasher ? { hasher: o.hasher } : {}), afterBatch: () => ref.webhooks?.wake() });
  const webhooks = createWebhookSender({ store, canvases, clock: api.clock, http: o.http ?? ((req) => guard.http(req)), afterSettle: () => worker.wake(), ...o.webhooks });
  ref.worker = worker;
  ref.webhooks = webhooks;
  const drain = async (): Promise<void> => {
    do await worker.drain();
    while ((await webhooks.drain()) > 0);
  };
  const close = async () => {
    await api.close();
    await guard.close();
  };
  return { ...api, worker: { ...worker, drain }, webhooks, close };
}
