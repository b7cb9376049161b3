/**
 * The TikTok half of the composition root (src/main.ts calls it): the token key and cipher, the
 * client, the connection service, and — without TIKTOK_APP_ID/TIKTOK_APP_SECRET — the built-in emulator
 * (spec §5; issue #4 item 2), announced loudly in the log, the partner page and `GET /api/partners/tiktok`.
 *
 * The emulator runs in the process that serves the API (roles all and api: connecting needs its consent
 * page), on TIKTOK_EMULATOR_PORT (default 9400; a free port when that one is taken). A worker-only
 * process does not start one: it sends to TIKTOK_API_BASE, which without credentials defaults to
 * `http://127.0.0.1:<TIKTOK_EMULATOR_PORT>`, where an API process on the same machine runs it.
 *
 * Its consent page redirects only to Cohort's own callback (the redirect_uri is pinned, as a real
 * TikTok app's is), so an authorize link edited to point elsewhere cannot carry an auth code away. It
 * has one set of seeded ad accounts, so every workspace connects to the same ones: the log says so.
 */
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Clock } from './core/clock.ts';
import { startEmulator, type RunningEmulator } from './emulator/index.ts';
import { createTikTokClient, type TikTokClient } from './partners/tiktok/client.ts';
import { isPostgresUrl } from './store/connect.ts';
import type { Store } from './store/port.ts';
import { callbackUrl, createConnectionService, type ConnectionService } from './sync/connections.ts';
import type { SenderThreadInit } from './sync/sender-thread.ts';
import { createTokenCipher, dataFolderOf, loadTokenKey } from './sync/token-cipher.ts';

/** The emulator's seeded app (spec §6). */
export const BUILT_IN_EMULATOR_APP = { appId: 'cohort-local-app', appSecret: 'cohort-local-secret' } as const;
/** config.ts's default for TIKTOK_API_BASE: real TikTok. */
const REAL_TIKTOK_API_BASE = 'https://business-api.tiktok.com';
/** Said with every emulator log line: the emulator is one TikTok account for the whole deployment. */
export const EMULATOR_SHARED_NOTE = 'every workspace of this Cohort connects to the same seeded ad accounts and audiences there';

export interface TikTokRuntime {
  readonly client: TikTokClient;
  readonly connections: ConnectionService;
  readonly appId: string;
  /** Origin the client talks to. */
  readonly apiBase: string;
  /** True without TIKTOK_APP_ID/TIKTOK_APP_SECRET: TikTok is the built-in emulator (in this process or the API's). */
  readonly emulator: boolean;
  /** The emulator this process runs, if any. */
  readonly emulatorUrl: string | null;
  /** What the sender thread needs to build its own client and connection service (src/sync/sender-thread.ts). */
  readonly senderThreadInit: Omit<SenderThreadInit, 'databaseUrl' | 'retryWindowMs'>;
  close(): Promise<void>;
}

export async function openTikTok(
  config: Config,
  p: { store: Store; clock: Clock; logger: Logger; runsApi: boolean; publicUrl: () => string },
): Promise<TikTokRuntime> {
  const key = loadTokenKey({
    secretKey: config.secretKey,
    dataFolder: dataFolderOf(config.databaseUrl),
    warn: (message, fields) => p.logger.warn(fields, message),
  });
  if (key.created) p.logger.info({ path: key.path }, 'TikTok token key created (set COHORT_SECRET_KEY to manage it yourself)');
  if (key.source === 'key_file' && isPostgresUrl(config.databaseUrl)) {
    // Processes on other machines would generate other keys and could not read each other's tokens.
    p.logger.warn({ path: key.path }, 'COHORT_SECRET_KEY is unset: TikTok tokens are encrypted with a key file; every process sharing this PostgreSQL database needs the same key (set COHORT_SECRET_KEY on all of them)');
  }

  const real = config.tiktokAppId !== undefined && config.tiktokAppSecret !== undefined;
  let emulator: RunningEmulator | null = null;
  let apiBase = config.tiktokApiBase;
  let authUrl = config.tiktokAuthUrl;
  const app = real ? { appId: config.tiktokAppId!, appSecret: config.tiktokAppSecret! } : BUILT_IN_EMULATOR_APP;

  if (!real && p.runsApi) {
    emulator = await startBuiltInEmulator(config, p.logger, () => callbackUrl(p.publicUrl()));
    apiBase = emulator.url;
    authUrl = `${emulator.url}/portal/auth`;
    p.logger.warn(
      { emulatorUrl: emulator.url },
      `TikTok: no TIKTOK_APP_ID/TIKTOK_APP_SECRET — using the built-in TikTok emulator at ${emulator.url} (no data reaches TikTok); ${EMULATOR_SHARED_NOTE}`,
    );
  } else if (!real) {
    if (apiBase === REAL_TIKTOK_API_BASE) apiBase = `http://127.0.0.1:${config.emulatorPort}`;
    authUrl = `${apiBase}/portal/auth`;
    p.logger.warn(
      { apiBase },
      `TikTok: no TIKTOK_APP_ID/TIKTOK_APP_SECRET — sending to the TikTok emulator at ${apiBase}, run by the API process (no data reaches TikTok); ${EMULATOR_SHARED_NOTE}`,
    );
  }

  const client = createTikTokClient({ apiBase, appId: app.appId, appSecret: app.appSecret });
  const connections = createConnectionService({
    store: p.store,
    clock: p.clock,
    client,
    cipher: createTokenCipher(key.key),
    publicUrl: p.publicUrl,
    authUrl,
    appId: app.appId,
    emulator: !real,
    logger: p.logger,
  });
  return {
    client,
    connections,
    appId: app.appId,
    apiBase,
    emulator: !real,
    emulatorUrl: emulator?.url ?? null,
    senderThreadInit: { apiBase, authUrl, appId: app.appId, appSecret: app.appSecret, emulator: !real, tokenKeyHex: key.key.toString('hex') },
    close: async () => {
      await emulator?.close();
    },
  };
}

/**
 * On TIKTOK_EMULATOR_PORT, or on a free port (said in the log) when that one is taken. Consent redirects
 * only to `callback` (asked at each consent: the API's port may be known only once it listens), unless
 * TIKTOK_EMULATOR_REDIRECT_URI pins another.
 */
async function startBuiltInEmulator(config: Config, logger: Logger, callback: () => string): Promise<RunningEmulator> {
  const options = { host: '127.0.0.1', ...BUILT_IN_EMULATOR_APP, redirectUri: config.emulatorRedirectUri ?? callback };
  try {
    return await startEmulator({ ...options, port: config.emulatorPort });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const emulator = await startEmulator({ ...options, port: 0 });
    logger.warn({ wanted: config.emulatorPort, port: emulator.port }, `TikTok emulator: port ${config.emulatorPort} is taken; using ${emulator.port} instead (a worker-only process must get TIKTOK_API_BASE=${emulator.url})`);
    return emulator;
  }
}
