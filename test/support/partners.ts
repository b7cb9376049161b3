/**
 * The API with the real TikTok connection service over one store and an in-process emulator on port 0,
 * a fake clock, and every log line (the API's and the service's, at trace level) captured, so that tests
 * can both drive the public routes and assert what never appears in them (the token canary).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { expect } from 'vitest';
import { buildApi } from '../../src/api/app.ts';
import type { ApiDeps } from '../../src/api/deps.ts';
import { fakeClock, type FakeClock } from '../../src/core/clock.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createTikTokClient, type TikTokClient } from '../../src/partners/tiktok/client.ts';
import type { Store } from '../../src/store/port.ts';
import { createConnectionService, type ConnectionService } from '../../src/sync/connections.ts';
import { createTokenCipher, deriveTokenKey, type TokenCipher } from '../../src/sync/token-cipher.ts';
import { createTestWorkspace, TEST_START } from './api.ts';
import { consent, SEED } from './tiktok.ts';

export const PUBLIC_URL = 'http://cohort.test:8080';
export const TEST_SECRET_KEY = 'test-secret-key-0123456789-abcdefghij';

/** A token sealed as Cohort sealed them before issue 16 (`v1`: no workspace bound), written independently of token-cipher.ts. */
export function sealV1(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
}

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field
  body: any;
  text: string;
  headers: Record<string, unknown>;
}

export interface PartnerHarness {
  app: FastifyInstance;
  clock: FakeClock;
  emulator: RunningEmulator;
  client: TikTokClient;
  cipher: TokenCipher;
  connections: ConnectionService;
  /** Every log line of the API and the service, raw JSON text. */
  logs: string[];
  /** Every answer the harness received (body and headers as text), for the canary. */
  answers: string[];
  /** Access tokens the client obtained from the emulator (the canaries). */
  issuedTokens: string[];
  workspace(): Promise<{ id: string; key: string }>;
  call(key: string | null, method: InjectOptions['method'], url: string, body?: unknown): Promise<Answer>;
  /** `GET /oauth/tiktok/callback<search>` as a browser holding `cookies` would send it. */
  callback(search: string, cookies?: Record<string, string>): Promise<Answer>;
  /** connect → consent page → callback; returns the callback's answer (a 302 when it worked). */
  connect(key: string, p?: { advertiserIds?: readonly string[]; decision?: 'confirm' | 'cancel' }): Promise<Answer>;
  /** The authorize_url's state and redirect_uri. */
  startConnect(key: string): Promise<{ authorizeUrl: URL; state: string; redirectUri: string }>;
  close(): Promise<void>;
}

/** `deps`: what to use instead of the harness's own (e.g. the real canvas reader and engine hooks, for the fuzzer). */
export async function partnerHarness(store: Store, o: { emulator?: boolean; cipher?: TokenCipher; publicUrl?: string; deps?: Partial<ApiDeps> } = {}): Promise<PartnerHarness> {
  const clock = fakeClock(TEST_START);
  const emulator = await startEmulator({ port: 0 });
  const logs: string[] = [];
  const answers: string[] = [];
  const issuedTokens: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const base = createTikTokClient({ apiBase: emulator.url, appId: SEED.appId, appSecret: SEED.appSecret, timeoutMs: 5_000 });
  const client: TikTokClient = {
    ...base,
    async exchangeAuthCode(code) {
      const r = await base.exchangeAuthCode(code);
      if (r.ok) issuedTokens.push(r.data.accessToken);
      return r;
    },
  };
  const cipher = o.cipher ?? createTokenCipher(deriveTokenKey(TEST_SECRET_KEY));
  const connections = createConnectionService({
    store,
    clock,
    client,
    cipher,
    publicUrl: () => o.publicUrl ?? PUBLIC_URL,
    authUrl: `${emulator.url}/portal/auth`,
    appId: SEED.appId,
    emulator: o.emulator ?? true,
    logger: pino({ level: 'trace' }, sink),
  });
  const deps: ApiDeps = {
    store,
    clock,
    engine: { afterTrack: async () => {} },
    journeys: { canvases: { getCanvasSnapshot: async () => null, getDefinitions: async () => new Map(), listActiveCanvases: async () => [] }, wake: () => {} },
    tiktokLaunchContext: (ws) => connections.launchContext(ws),
    tiktok: connections,
    ...o.deps,
  };
  const app = await buildApi({ deps, logger: { level: 'trace', stream: sink } });

  const send = async (key: string | null, method: InjectOptions['method'], url: string, body?: unknown, cookies?: Record<string, string>): Promise<Answer> => {
    const res = await app.inject({
      method,
      url,
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      ...(cookies === undefined ? {} : { cookies }),
    });
    answers.push(JSON.stringify(res.headers), res.body);
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      // HTML pages stay text
    }
    return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
  };
  const call: PartnerHarness['call'] = (key, method, url, body) => send(key, method, url, body);

  const startConnect: PartnerHarness['startConnect'] = async (key) => {
    const res = await call(key, 'POST', '/api/partners/tiktok/connect');
    expect(res.status).toBe(200);
    const authorizeUrl = new URL(res.body.authorize_url as string);
    return { authorizeUrl, state: authorizeUrl.searchParams.get('state')!, redirectUri: authorizeUrl.searchParams.get('redirect_uri')! };
  };

  return {
    app,
    clock,
    emulator,
    client,
    cipher,
    connections,
    logs,
    answers,
    issuedTokens,
    workspace: () => createTestWorkspace(store, clock.now()),
    call,
    callback: (search, cookies) => send(null, 'GET', `/oauth/tiktok/callback${search}`, undefined, cookies),
    startConnect,
    async connect(key, p = {}) {
      const { state, redirectUri } = await startConnect(key);
      const back = await consent(emulator.url, { state, redirectUri, ...(p.advertiserIds ? { advertiserIds: p.advertiserIds } : {}), ...(p.decision ? { decision: p.decision } : {}) });
      return call(null, 'GET', `/oauth/tiktok/callback${back.search}`);
    },
    async close() {
      await app.close();
      await emulator.close();
    },
  };
}
