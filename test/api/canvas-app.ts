/**
 * The API for the canvas route tests: test/support/api.ts with the runtime's canvas reader over the
 * store, and a TikTok connection each test can change.
 */
import type { LaunchContext } from '../../src/core/canvas.ts';
import { storeCanvasReader } from '../../src/engine/canvas-reader.ts';
import type { Store } from '../../src/store/port.ts';
import { testApi, type TestApi } from '../support/api.ts';

export const CONNECTED: LaunchContext['tiktok'] = { status: 'connected', advertiserIds: ['7000000000000000001'] };

export { SPEC_CANVAS } from '../fixtures/spec-canvas.ts';

export interface CanvasApi extends TestApi {
  /** The connection tiktokLaunchContext answers with; tests set it (and put CONNECTED back). */
  tiktok: LaunchContext['tiktok'];
}

export async function canvasApi(store: Store): Promise<CanvasApi> {
  const state = { tiktok: CONNECTED };
  const api = await testApi(store, {
    journeys: { canvases: storeCanvasReader(store), wake: () => {} },
    tiktokLaunchContext: async () => state.tiktok,
  });
  // A live property (Object.assign would copy the getter's value once).
  return Object.defineProperty(api, 'tiktok', { get: () => state.tiktok, set: (value: LaunchContext['tiktok']) => (state.tiktok = value), enumerable: true }) as CanvasApi;
}
