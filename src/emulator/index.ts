/**
 * The TikTok Marketing API emulator (spec §6; design in the reference's §7): the real paths under
 * `/open_api/v1.3/`, the real envelope, OAuth consent at `/portal/auth`, Partner audiences, strict
 * mapping validation, the 50-per-sliding-second mapping limit, and an admin API under `/_emulator/`.
 *
 * It imports nothing from `partners/`: it is an independent reading of the wire contract, so that a
 * client's misreading shows up as a failure here instead of being mirrored.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError } from 'fastify';
import { systemClock, type Clock } from '../core/clock.ts';
import { ownOrigins } from './admin-guard.ts';
import { adminRoutes } from './admin-routes.ts';
import { registerAudienceRoutes } from './audience-routes.ts';
import type { EmulatorContext } from './context.ts';
import { fail } from './envelope.ts';
import { Faults } from './faults.ts';
import { BODY_LIMIT, useJsonParser } from './json-body.ts';
import { registerMappingRoutes } from './mapping-routes.ts';
import { registerOauthRoutes } from './oauth-routes.ts';
import { registerPortalRoutes } from './portal-routes.ts';
import { KeyedWindows } from './sliding-window.ts';
import { EmulatorState } from './state.ts';
import { Stats } from './stats.ts';

export interface EmulatorOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default systemClock(); used for rate windows, auth-code expiry, create_time and request_id. */
  clock?: Clock;
  /** Default 'cohort-local-app'. */
  appId?: string;
  /** Default 'cohort-local-secret'. */
  appSecret?: string;
  /**
   * If set, pinned: consent with another redirect_uri is refused; else any redirect_uri is accepted. A
   * function is asked at each consent (`cohort serve` knows its own callback URL only once it listens).
   */
  redirectUri?: string | (() => string);
  /** Default 50: accepted mapping requests per app_id in any sliding second. */
  mappingQps?: number;
  /** Default 0: delay before membership shows in cover_num (and before is_valid turns true). */
  coverDelayMs?: number;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

function buildContext(options: EmulatorOptions): EmulatorContext {
  const clock = options.clock ?? systemClock();
  const pinned = options.redirectUri;
  const app = {
    appId: options.appId ?? 'cohort-local-app',
    secret: options.appSecret ?? 'cohort-local-secret',
    get redirectUri(): string | undefined {
      return typeof pinned === 'function' ? pinned() : pinned;
    },
  };
  return {
    clock,
    state: new EmulatorState(app, clock),
    stats: new Stats(),
    faults: new Faults(),
    limiter: new KeyedWindows(),
    mappingQps: options.mappingQps ?? 50,
    coverDelayMs: options.coverDelayMs ?? 0,
  };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const ctx = buildContext(options);
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    routerOptions: { ignoreTrailingSlash: true },
  });
  await app.register(formbody);
  useJsonParser(app);

  app.addHook('onRequest', async (req) => {
    ctx.stats.countPath(req.url);
    const latency = ctx.faults.latencyMs;
    if (latency > 0 && (req.url.startsWith('/open_api/') || req.url.startsWith('/portal/'))) await sleep(latency);
  });

  // A body TikTok's API cannot read is a parameter error in its envelope (HTTP 200); elsewhere plain JSON.
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode ?? 500;
    if (req.url.startsWith('/open_api/') && status === 400) {
      return reply.code(200).send(fail(ctx.clock, 40002, `body: ${error.message}`));
    }
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
  });

  registerPortalRoutes(app, ctx);
  registerOauthRoutes(app, ctx);
  registerAudienceRoutes(app, ctx);
  registerMappingRoutes(app, ctx);
  const host = options.host ?? '127.0.0.1';
  let own: Set<string> | undefined; // known once listening, before any request
  await app.register(adminRoutes(ctx, () => (own ??= ownOrigins(host, (app.server.address() as AddressInfo).port))));

  await app.listen({ port: options.port ?? 0, host });
  const { port } = app.server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () => app.close(),
  };
}
