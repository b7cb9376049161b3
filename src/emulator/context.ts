/**
 * What every route module receives, and the checks they share: app credentials, the Access-Token header
 * and advertiser permission (reference §2.5, §7.3).
 */
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import { ApiError, MSG, noPermission } from './envelope.ts';
import type { Faults } from './faults.ts';
import type { KeyedWindows } from './sliding-window.ts';
import type { EmulatorState, Token } from './state.ts';
import type { Stats } from './stats.ts';

export interface EmulatorContext {
  clock: Clock;
  state: EmulatorState;
  stats: Stats;
  faults: Faults;
  /** Accepted mapping requests per app_id, for the 50-per-sliding-second limit. */
  limiter: KeyedWindows;
  mappingQps: number;
  coverDelayMs: number;
}

/** The Access-Token header, or undefined when missing or empty. */
export function accessTokenOf(req: FastifyRequest): string | undefined {
  const h = req.headers['access-token'];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined || v === '' ? undefined : v;
}

/** The live token of the request: 40104 when the header is missing, 40105 when unknown or revoked. */
export function requireToken(ctx: EmulatorContext, req: FastifyRequest): Token {
  const value = accessTokenOf(req);
  if (value === undefined) throw new ApiError(40104, MSG.tokenEmpty);
  const token = ctx.state.tokens.get(value);
  if (!token || token.revoked) throw new ApiError(40105, MSG.tokenInvalid);
  return token;
}

/** 40001 unless the token was granted the advertiser at consent. */
export function requireAdvertiser(token: Token, advertiserId: string): void {
  if (!token.advertiserIds.includes(advertiserId)) throw noPermission(advertiserId);
}

/** 40101 unless app_id and secret are the emulated app's. */
export function requireApp(ctx: EmulatorContext, appId: string, secret: string): void {
  const app = ctx.state.app;
  if (appId !== app.appId || secret !== app.secret) throw new ApiError(40101, MSG.badApp);
}
