/**
 * The API over one store for route tests: a fake clock, engine hooks that do nothing (or what a test
 * passes), no canvases, and workspaces with API keys made on demand.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApi } from '../../src/api/app.ts';
import { hashApiKey, newApiKey } from '../../src/api/auth.ts';
import type { ApiDeps } from '../../src/api/deps.ts';
import { fakeClock, type FakeClock } from '../../src/core/clock.ts';
import type { Store } from '../../src/store/port.ts';

export const TEST_START = '2026-11-28T12:00:00.000Z';

export interface TestAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field
  body: any;
}

export interface TestApi {
  app: FastifyInstance;
  clock: FakeClock;
  /** A new workspace with one API key. */
  workspace(): Promise<{ id: string; key: string }>;
  /** A JSON request with `Authorization: Bearer <key>` (no header when key is null); a string body is sent as is. */
  call(key: string | null, method: InjectOptions['method'], url: string, body?: unknown): Promise<TestAnswer>;
  close(): Promise<void>;
}

/** `webDir`: a built dashboard to serve (routes/web-app.ts); absent = the pages that say it is not built. */
export async function testApi(store: Store, overrides: Partial<ApiDeps> = {}, { webDir = null }: { webDir?: string | null } = {}): Promise<TestApi> {
  const clock = fakeClock(TEST_START);
  const deps: ApiDeps = {
    store,
    clock,
    engine: { afterTrack: async () => {} },
    journeys: { canvases: { getCanvasSnapshot: async () => null, getDefinitions: async () => new Map(), listActiveCanvases: async () => [] }, wake: () => {} },
    tiktokLaunchContext: async () => ({ status: 'disconnected', advertiserIds: [] }),
    ...overrides,
  };
  const app = await buildApi({ deps, webDir });
  return {
    app,
    clock,
    workspace: () => createTestWorkspace(store, clock.now()),
    async call(key, method, url, body) {
      const res = await app.inject({
        method,
        url,
        headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      let parsed: unknown;
      try {
        parsed = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        parsed = res.body;
      }
      return { status: res.statusCode, body: parsed };
    },
    close: () => app.close(),
  };
}

/** A new workspace with one API key (stored hashed, as the CLI does). */
export async function createTestWorkspace(store: Store, now: number): Promise<{ id: string; key: string }> {
  const id = `ws_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const key = newApiKey();
  await store.createWorkspace({ id, name: id }, now);
  await store.insertApiKey({ id: `key_${id}`, workspaceId: id, keyHash: hashApiKey(key) }, now);
  return { id, key };
}
