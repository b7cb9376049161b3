/**
 * The composition root (style guide §1): the only module that picks concrete adapters — the store
 * named by the settings, the system clock, pino — and wires them into the API and, for `serve`, the
 * long-running components. The CLI loads the settings (src/config.ts) and calls in here; everything
 * else receives its dependencies.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { buildApi } from './api/app.ts';
import type { ApiDeps, EngineHooks, JourneyDeps } from './api/deps.ts';
import type { Config } from './config.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { CohortError } from './core/errors.ts';
import { storeCanvasReader } from './engine/canvas-reader.ts';
import { engineHooks } from './engine/events.ts';
import { createWebhookSender, type WebhookSender } from './engine/webhook-sender.ts';
import { createPruner } from './engine/retention.ts';
import { createWorker, type Worker } from './engine/worker.ts';
import { SESSION_IDLE_MS } from './members/service.ts';
import { threadHasher } from './partners/tiktok/hash-pool.ts';
import { createSyncRunner, type SyncRunner } from './sync/leader.ts';
import { createSyncMetrics, type SyncMetrics } from './sync/metrics.ts';
import { defaultRetryPolicy } from './sync/retry.ts';
import { createSender, type SenderEvent } from './sync/sender.ts';
import { threadSender } from './sync/sender-thread.ts';
import { isPostgresUrl, sqlitePath } from './store/connect.ts';
import { createStore } from './store/index.ts';
import type { Store } from './store/port.ts';
import { openTikTok, type TikTokRuntime } from './tiktok-runtime.ts';
import { guardedHttp, type GuardedHttp } from './webhooks/guarded-http.ts';

export type Role = 'all' | 'api' | 'worker';
export const ROLES: readonly Role[] = ['all', 'api', 'worker'];

/** Where the API binds; the log line `cohort listening on http://127.0.0.1:<port>` names it. */
const HOST = '127.0.0.1';

/** The built dashboard (`npm run build:web`), found from this module, not the working directory: `cohort serve` serves it wherever it is started. */
const WEB_DIR = fileURLToPath(new URL('../web/dist/', import.meta.url));

/** What every command needs: the store, the clock and the engine's hooks. */
export interface Services {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  readonly engine: EngineHooks;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Everything `serve` wires: the services plus what the API routes receive. */
export interface Runtime extends Services {
  readonly apiDeps: ApiDeps;
  /** The in-process journey worker, once started; the trigger route wakes it. */
  readonly worker: { current: Worker | null };
  /** The in-process webhook sender, once started; the worker wakes it when a batch parked users at webhook steps. */
  readonly webhooks: { current: WebhookSender | null };
  /** The in-process TikTok sender (while this process leads), once started; new sync items wake it. */
  readonly sync: { current: SyncRunner | null };
  readonly syncMetrics: SyncMetrics;
  /** TikTok: the client, the connection service (the sender's token source) and the app id; the built-in emulator when there are no credentials. */
  readonly tiktok: TikTokRuntime;
  /** Webhook HTTP, guarded by spec §9 (COHORT_WEBHOOK_ALLOW_HOSTS): the worker's calls and the launch warnings. */
  readonly webhookHttp: GuardedHttp;
  /** The API's address once it listens (the OAuth redirect_uri's origin when COHORT_PUBLIC_URL is unset). */
  readonly listening: { url: string | null };
}

/** Something `serve` started; stopped in reverse start order on SIGINT/SIGTERM. */
export interface Component {
  readonly name: string;
  stop(): Promise<void>;
}

export interface Server {
  /** The API's address, or null when this role runs no API. */
  readonly url: string | null;
  /** Resolves once a stop (signal or `stop()`) has finished. */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/** JSON logs; commands whose stdout is data (import, workspaces) log to stderr (fd 2). */
export function createLogger(config: Config, fd: 1 | 2 = 1): Logger {
  return pino({ level: config.logLevel, base: { name: 'cohort' } }, pino.destination({ fd, sync: true }));
}

export async function openServices(config: Config, logger: Logger = createLogger(config)): Promise<Services> {
  const store = await createStore(config.databaseUrl, { warn: (message, fields) => logger.warn(fields, message) });
  // Event-triggered entries and exit rules run inside the transaction that stores the events.
  const engine: EngineHooks = engineHooks();
  return { config, store, clock: systemClock(), engine, logger, close: () => store.close() };
}

export async function createRuntime(
  config: Config,
  parts: { role?: Role; tiktokLaunchContext?: ApiDeps['tiktokLaunchContext']; journeys?: JourneyDeps; logger?: Logger } = {},
): Promise<Runtime> {
  const services = await openServices(config, parts.logger);
  const worker: Runtime['worker'] = { current: null };
  const webhooks: Runtime['webhooks'] = { current: null };
  const listening: Runtime['listening'] = { url: null };
  const role = parts.role ?? 'all';
  let tiktok: TikTokRuntime;
  try {
    tiktok = await openTikTok(config, {
      store: services.store,
      clock: services.clock,
      logger: services.logger,
      runsApi: role !== 'worker',
      publicUrl: () => config.publicUrl ?? listening.url ?? `http://${HOST}:${config.port}`,
    });
  } catch (error) {
    await services.close();
    throw error;
  }
  const sync: Runtime['sync'] = { current: null };
  const syncMetrics = createSyncMetrics(services.store);
  const journeys: JourneyDeps = parts.journeys ?? { canvases: storeCanvasReader(services.store), wake: () => worker.current?.wake(), wakeSync: () => sync.current?.wake() };
  const tiktokLaunchContext = parts.tiktokLaunchContext ?? ((workspaceId: string) => tiktok.connections.launchContext(workspaceId));
  const metrics = { contentType: syncMetrics.registry.contentType, text: (withTenantIds: boolean) => syncMetrics.text(withTenantIds), token: config.metricsToken };
  // The workers this process runs (none in an api-only process) are part of its readiness.
  const readiness = (): Record<string, string> =>
    role === 'api'
      ? {}
      : { journey_worker: worker.current?.health() ?? 'not started', webhook_sender: webhooks.current?.health() ?? 'not started', tiktok_sender: sync.current?.health() ?? 'not started' };
  const webhookHttp = guardedHttp({ allow: config.webhookAllowHosts });
  const apiDeps: ApiDeps = { store: services.store, clock: services.clock, engine: services.engine, journeys, tiktokLaunchContext, tiktok: tiktok.connections, metrics, readiness, secureCookies: config.publicUrl?.startsWith('https:') === true, webhookTargetCheck: (url) => webhookHttp.check(url) };
  const close = async (): Promise<void> => {
    await webhookHttp.close();
    await tiktok.close();
    await services.close();
  };
  return { ...services, close, apiDeps, worker, webhooks, sync, syncMetrics, tiktok, webhookHttp, listening };
}

/** `cohort serve`: starts the components of `role`, and stops them cleanly on SIGINT/SIGTERM. */
export async function runServe(config: Config, role: Role): Promise<Server> {
  const logger = createLogger(config);
  const runtime = await createRuntime(config, { role, logger });
  const components: Component[] = [];
  let url: string | null = null;
  try {
    if (role === 'all' || role === 'api') {
      const api = await startApi(runtime);
      components.push(api);
      url = api.url;
      runtime.listening.url = url;
    }
    // Stopped in reverse: the TikTok sender, then the webhook sender (its calls in flight end and their
    // users move on while the worker still runs), then the worker.
    if (role === 'all' || role === 'worker') components.push(startWorker(runtime), startWebhooks(runtime), startSync(runtime), startPruner(runtime));
    // The built-in TikTok emulator, when there are no credentials, started with the runtime
    // (tiktok-runtime.ts) and stops with runtime.close().
  } catch (error) {
    await stopAll(components, logger);
    await runtime.close();
    throw error;
  }
  // `serve` runs until it is stopped, even when no component holds the event loop open.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  let requestStop!: () => void;
  const stopped = new Promise<void>((resolve) => (requestStop = resolve)).then(async () => {
    logger.info({ role }, 'cohort stopping');
    clearInterval(keepAlive);
    await stopAll(components, logger);
    await runtime.close();
    logger.info({ role }, 'cohort stopped');
  });
  const stop = (): Promise<void> => {
    requestStop();
    return stopped;
  };
  // A second signal while stopping falls back to Node's default: the process ends at once.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().catch(() => undefined));
  logger.info({ role, url, components: components.map((c) => c.name) }, url ? `cohort listening on ${url}` : 'cohort started');
  return { url, stopped, stop };
}

function startWorker(runtime: Runtime): Component {
  const hasher = threadHasher();
  const worker = createWorker({
    store: runtime.store,
    canvases: runtime.apiDeps.journeys.canvases,
    clock: runtime.clock,
    hasher,
    leaseMs: runtime.config.workerLeaseMs,
    onError: (error) => runtime.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'journey worker pass failed; retrying'),
    afterBatch: () => {
      runtime.sync.current?.wake();
      runtime.webhooks.current?.wake();
    },
  });
  runtime.worker.current = worker;
  worker.start();
  // The hash threads load now, not when the first launch needs them: loading one (TypeScript and
  // libphonenumber's metadata, ~0.5 s of CPU) competed with that launch, whose first chunks were
  // hashed on this thread meanwhile.
  void hasher.warm();
  return {
    name: 'journey-worker',
    stop: async () => {
      await worker.stop();
      await hasher.close();
    },
  };
}

/** Retention (engine/retention.ts): one worker process at a time prunes old history, every minute. */
function startPruner(runtime: Runtime): Component {
  const pruner = createPruner({
    store: runtime.store,
    clock: runtime.clock,
    retentionMs: runtime.config.retentionMs,
    sessionIdleMs: SESSION_IDLE_MS,
    onError: (error) => runtime.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'retention pass failed; retrying'),
    onPruned: (report) => runtime.logger.info(report, 'retention pruned'),
  });
  pruner.start();
  return { name: 'retention', stop: () => pruner.stop() };
}

/** Webhook calls, outside every entry batch (engine/webhook-sender.ts): a slow receiver holds only its own calls. */
function startWebhooks(runtime: Runtime): Component {
  const sender = createWebhookSender({
    store: runtime.store,
    canvases: runtime.apiDeps.journeys.canvases,
    clock: runtime.clock,
    http: (req) => runtime.webhookHttp.http(req),
    afterSettle: () => runtime.worker.current?.wake(),
    // The message only: an error may quote a request, and a URL may carry an external id.
    onError: (error) => runtime.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'webhook sender pass failed; retrying'),
  });
  runtime.webhooks.current = sender;
  sender.start();
  return { name: 'webhook-sender', stop: () => sender.stop() };
}

/** The TikTok sender, run only while this process leads for the app (one budget per deployment). */
function startSync(runtime: Runtime): Component {
  const { store, clock, config, logger, tiktok } = runtime;
  const onEvent = (e: SenderEvent) => {
    runtime.syncMetrics.observe(e);
    if (e.kind === 'request') logger.debug({ workspaceId: e.workspaceId, audienceId: e.audienceId, rows: e.rows, outcome: e.outcome, ms: e.ms, tiktokRequestId: e.requestId }, 'mapping request');
    else if (e.kind === 'token_invalid') logger.warn({ workspaceId: e.workspaceId, reason: e.reason }, 'TikTok token invalid: items wait for a reconnect');
    else if (e.kind === 'error') logger.error({ err: e.error instanceof Error ? e.error.message : String(e.error) }, 'sync sender pass failed; retrying');
  };
  // Its own thread (sync/sender-thread.ts), unless the database lives only in this thread's memory.
  const onThread = isPostgresUrl(config.databaseUrl) || sqlitePath(config.databaseUrl) !== ':memory:';
  const runner = createSyncRunner({
    store,
    appId: tiktok.appId,
    makeSender: () =>
      onThread
        ? threadSender({ ...tiktok.senderThreadInit, databaseUrl: config.databaseUrl, retryWindowMs: config.syncRetryWindowMs }, { onEvent, logger })
        : createSender({ store, clock, client: tiktok.client, tokens: tiktok.connections, policy: defaultRetryPolicy(config.syncRetryWindowMs), onEvent }),
    onLeadership: (leading) => logger.info({ appId: tiktok.appId, leading }, leading ? 'this process now sends to TikTok' : 'this process stopped sending to TikTok'),
  });
  runtime.sync.current = runner;
  const unsubscribe = tiktok.connections.onReconnect(() => runner.wake());
  runner.start();
  return {
    name: 'tiktok-sender',
    stop: async () => {
      unsubscribe();
      await runner.stop();
    },
  };
}

async function startApi(runtime: Runtime): Promise<Component & { url: string }> {
  const app = await buildApi({ deps: runtime.apiDeps, logger: { level: runtime.config.logLevel }, webDir: WEB_DIR });
  try {
    await app.listen({ port: runtime.config.port, host: HOST });
  } catch (error) {
    await app.close();
    // A port taken or forbidden is the user's setting, not a crash: one line that says what to change.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const why = code === 'EADDRINUSE' ? 'it is in use (another cohort serve?)' : 'permission denied';
      throw new CohortError('port_unavailable', `cannot listen on ${HOST}:${runtime.config.port}: ${why}; choose another port with --port or COHORT_PORT`);
    }
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  return { name: 'api', url: `http://${HOST}:${port}`, stop: () => app.close() };
}

/** Reverse start order; one component failing to stop does not keep the others running. */
async function stopAll(components: readonly Component[], logger: Logger): Promise<void> {
  for (const component of [...components].reverse()) {
    try {
      await component.stop();
    } catch (error) {
      logger.error({ component: component.name, err: error instanceof Error ? error.message : String(error) }, 'component failed to stop');
    }
  }
}
