/** The API with the real journey engine and a worker driven by the test (drain), over one store. */
import type { ApiDeps } from '../../src/api/deps.ts';
import { storeCanvasReader } from '../../src/engine/canvas-reader.ts';
import { engineHooks } from '../../src/engine/events.ts';
import { fetchIO } from '../../src/engine/http-io.ts';
import { createWorker, type Worker } from '../../src/engine/worker.ts';
import type { IdentifierHasher } from '../../src/partners/tiktok/hash-pool.ts';
import type { Store } from '../../src/store/port.ts';
import { testApi, type TestApi } from './api.ts';

export const CONNECTED: Awaited<ReturnType<ApiDeps['tiktokLaunchContext']>> = { status: 'connected', advertiserIds: ['7000000000000000001', '7000000000000000002'] };

export interface EngineHarness extends TestApi {
  worker: Worker;
}

export async function engineHarness(store: Store, o: { hasher?: IdentifierHasher; wakeSync?: () => void } = {}): Promise<EngineHarness> {
  const canvases = storeCanvasReader(store);
  const ref: { worker?: Worker } = {};
  const api = await testApi(store, {
    engine: engineHooks(),
    journeys: { canvases, wake: () => ref.worker?.wake(), ...(o.wakeSync ? { wakeSync: o.wakeSync } : {}) },
    tiktokLaunchContext: async () => CONNECTED,
  });
  const worker = createWorker({ store, canvases, clock: api.clock, io: { ...fetchIO(), pause: async () => undefined }, batchSize: 500, launchChunk: 1_000, ...(o.hasher ? { hasher: o.hasher } : {}) });
  ref.worker = worker;
  return { ...api, worker };
}
