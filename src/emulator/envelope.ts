/**
 * TikTok's response envelope (reference §1.1): `{code, message, request_id, data}`, HTTP 200 even for
 * business errors, `message: "OK"` exactly on success (Segment compares it literally), `data: {}` on errors.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';

export interface Envelope {
  code: number;
  message: string;
  request_id: string;
  data: object;
}

/** A business error: answered as HTTP 200 with a non-zero `code`. Thrown by checks, caught by `envelopeRoute`. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const MSG = {
  tokenEmpty: 'Access token is empty.',
  tokenInvalid: 'Access token is incorrect or has been revoked.',
  badApp: 'Invalid App ID or secret.',
  audienceLimit: 'The number of audiences has reached the limit (400)',
  systemError: 'System error.',
  timeout: 'Internal service timeout.',
  maintenance: 'System in maintenance.',
} as const;

export const rateLimitMessage = (appId: string): string =>
  `Due to too many requests, requests from App [${appId}] are temporarily restricted.`;

/** 40002, worded "<field>: <reason>" (reference §7.3) so a client's log names what it got wrong. */
export const paramError = (field: string, reason: string): ApiError => new ApiError(40002, `${field}: ${reason}`);

export const noPermission = (advertiserId: string): ApiError =>
  new ApiError(
    40001,
    `No permission to operate advertiser ${advertiserId}. You must be an admin or operator of this advertiser account.`,
  );

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** "YYYY-MM-DD HH:MM:SS" in UTC, the format of create_time / expired_time / opt_time (reference §3.3). */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `YYYYMMDDHHmmss` (UTC, from the emulator's clock) + 16 random uppercase hex: the observed shape (§1.1). */
export function requestId(clock: Clock): string {
  const stamp = formatTime(clock.now()).replace(/[- :]/g, '');
  return stamp + randomBytes(8).toString('hex').toUpperCase();
}

export const ok = (clock: Clock, data: object = {}): Envelope => ({
  code: 0,
  message: 'OK',
  request_id: requestId(clock),
  data,
});

export const fail = (clock: Clock, code: number, message: string): Envelope => ({
  code,
  message,
  request_id: requestId(clock),
  data: {},
});

/**
 * Wraps a handler that returns `data` (or throws ApiError) into one that answers the envelope.
 * Any other exception propagates to Fastify's error handler: a bug should look like a bug, not a 40002.
 */
export function envelopeRoute(
  clock: Clock,
  handler: (req: FastifyRequest, reply: FastifyReply) => object | Promise<object>,
): (req: FastifyRequest, reply: FastifyReply) => Promise<Envelope> {
  return async (req, reply) => {
    try {
      return ok(clock, await handler(req, reply));
    } catch (e) {
      if (e instanceof ApiError) return fail(clock, e.code, e.message);
      throw e;
    }
  };
}
