/**
 * The API for the canvas route tests: test/support/api.ts with the runtime's canvas reader over the
 * store, and a TikTok connection each test can change.
 */
import type { LaunchContext } from '../../src/core/canvas.ts';
import { storeCanvasReader } from '../../src/engine/canvas-reader.ts';
import type { Store } from '../../src/store/port.ts';
import { testApi, type TestApi } from '../support/api.ts';

export const CONNECTED: LaunchContext['tiktok'] = { status: 'connected', advertiserIds: ['7000000000000000001'] };

/** The example of spec §3 (audience_id filled in, as an editor would after creating the audience). */
export const SPEC_CANVAS = {
  name: 'VIP retarget',
  entry: { type: 'api' },
  audience: { all: [{ attribute: 'country', op: 'eq', value: 'US' }] },
  reentry: { allowed: false, after_seconds: 0 },
  exit: { events: ['unsubscribed'] },
  first_step: 'sync',
  steps: [
    { id: 'sync', type: 'audience_sync', next: 'wait', config: { partner: 'tiktok', advertiser_id: '7000000000000000001', audience_id: '1800000000000001', action: 'add', fields: ['email', 'phone', 'idfa', 'gaid'] } },
    { id: 'wait', type: 'delay', config: { seconds: 3600 }, next: 'split' },
    { id: 'split', type: 'decision_split', config: { filter: { attribute: 'vip', op: 'eq', value: true } }, yes: 'hook', no: null },
    { id: 'hook', type: 'webhook', next: 'mark', config: { url: 'https://example.test/hook', method: 'POST', body: { user: '{{external_id}}' } } },
    { id: 'mark', type: 'user_update', config: { set: { retargeted: true } }, next: null },
  ],
};

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
