/** The API with the real journey engine and a worker driven by the test (drain), over one store. */
import type { ApiDeps } from '../../src/api/deps.ts';
import { storeCanvasReader } from '../../src/engine/canvas-reader.ts';
import { engineHooks } from '../../src/engine/events.ts';
import { fetchIO } from '../../src/engine/http-io.ts';
import type { StepIO } from '../../src/engine/steps/index.ts';
import { createWebhookSender, type WebhookSender, type WebhookSenderOptions } from '../../src/engine/webhook-sender.ts';
import { createWorker, type Worker } from '../../src/engine/worker.ts';
import type { IdentifierHasher } from '../../src/partners/tiktok/hash-pool.ts';
import type { Store } from '../../src/store/port.ts';
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

export interface EngineHarnessOptions {
  hasher?: IdentifierHasher;
  /** The webhook transport (default: fetch). */
  http?: StepIO['http'];
  /** Webhook sender settings (timeouts, caps, retry delays) a test wants to change. */
  webhooks?: Partial<Pick<WebhookSenderOptions, 'timeoutMs' | 'perWorkspace' | 'maxInFlight' | 'retryDelaysMs' | 'leaseMs'>>;
}

export async function engineHarness(store: Store, o: EngineHarnessOptions = {}): Promise<EngineHarness> {
  const canvases = storeCanvasReader(store);
  const ref: { worker?: Worker; webhooks?: WebhookSender } = {};
  const api = await testApi(store, {
    engine: engineHooks(),
    journeys: { canvases, wake: () => ref.worker?.wake() },
    tiktokLaunchContext: async () => CONNECTED,
  });
  const worker = createWorker({ store, canvases, clock: api.clock, batchSize: 500, launchChunk: 1_000, ...(o.hasher ? { hasher: o.hasher } : {}), afterBatch: () => ref.webhooks?.wake() });
  const webhooks = createWebhookSender({ store, canvases, clock: api.clock, http: o.http ?? fetchIO().http, afterSettle: () => worker.wake(), ...o.webhooks });
  ref.worker = worker;
  ref.webhooks = webhooks;
  const drain = async (): Promise<void> => {
    do await worker.drain();
    while ((await webhooks.drain()) > 0);
  };
  return { ...api, worker: { ...worker, drain }, webhooks };
}
