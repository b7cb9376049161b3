/**
 * `POST /open_api/v1.3/segment/mapping/`, in the brief's check order:
 *   1. token missing → 40104, unknown → 40105 (not rate limited: no app to charge);
 *   2. at most `mappingQps` accepted requests per app_id in any sliding second, else 40100;
 *   3. revoked token → 40105;  4. injected faults;  5. body validation (40002);
 *   6. advertiser permission (40001);  7. one Business Center, audiences exist and are owned; apply.
 * A request refused at any step changes no membership.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accessTokenOf, requireAdvertiser, type EmulatorContext } from './context.ts';
import { ApiError, fail, MSG, ok, paramError, rateLimitMessage, type Envelope } from './envelope.ts';
import { faultMessage, gatewayErrorPage } from './faults.ts';
import { useJsonParser } from './json-body.ts';
import { validateMapping, type MappingRequest } from './mapping.ts';
import { readMappingBytes } from './mapping-bytes.ts';
import { applyMapping } from './membership.ts';
import type { Audience, EmulatorState, Token } from './state.ts';
import { UNKNOWN_APP } from './stats.ts';

export const MAPPING_PATH = '/open_api/v1.3/segment/mapping/';

/** Every audience named must exist, not be deleted and belong to one of the request's advertisers. */
function resolveAudiences(state: EmulatorState, req: MappingRequest): Map<string, Audience> {
  const found = new Map<string, Audience>();
  const missing: string[] = [];
  for (const id of req.audienceIds) {
    const a = state.audiences.get(id);
    if (a && !a.deleted && req.advertiserIds.includes(a.advertiserId)) found.set(id, a);
    else missing.push(id);
  }
  if (missing.length > 0) {
    throw new ApiError(40002, `audience_ids [${missing.join(',')}] do not exist or do not belong to advertiser`);
  }
  return found;
}

/** A body the mapping route's parser read itself (mapping-bytes.ts), not JSON.parse. */
class ReadMapping {
  constructor(readonly request: MappingRequest) {}
}

function requireOneBusinessCenter(state: EmulatorState, advertiserIds: string[]): void {
  const bcs = new Set(advertiserIds.map((id) => state.advertisers.get(id)?.bc_id));
  if (bcs.size > 1) throw paramError('advertiser_ids', 'all advertisers must belong to the same Business Center');
}

export function registerMappingRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { clock, state, stats, faults, limiter } = ctx;

  /** Steps 5–7; returns the envelope for code 0 or throws an ApiError. */
  function validateAndApply(token: Token, body: unknown, now: number): Envelope {
    const request = body instanceof ReadMapping ? body.request : validateMapping(body);
    for (const id of request.advertiserIds) requireAdvertiser(token, id);
    requireOneBusinessCenter(state, request.advertiserIds);
    const audiences = resolveAudiences(state, request);
    applyMapping(request, audiences, now, ctx.coverDelayMs);
    stats.mappingAccepted(request.rowCount);
    return ok(clock);
  }

  async function handle(req: FastifyRequest, reply: FastifyReply): Promise<Envelope | FastifyReply> {
    const now = clock.now();
    const value = accessTokenOf(req);
    if (value === undefined) return fail(clock, 40104, MSG.tokenEmpty);
    const token = state.tokens.get(value);
    if (!token) return fail(clock, 40105, MSG.tokenInvalid);

    if (!limiter.tryAdmit(token.appId, now, faults.rateLimitQps ?? ctx.mappingQps)) {
      stats.rateLimitedAnswer();
      return fail(clock, 40100, rateLimitMessage(token.appId));
    }
    if (token.revoked) return fail(clock, 40105, MSG.tokenInvalid);

    const injected = faults.next();
    if (injected?.kind === 'code') {
      if (injected.code === 40100) stats.rateLimitedAnswer();
      return fail(clock, injected.code, faultMessage(injected.code, token.appId));
    }
    if (injected?.kind === 'http') {
      return reply.code(injected.status).type('text/html').send(gatewayErrorPage(injected.status));
    }

    try {
      return validateAndApply(token, req.body, now);
    } catch (e) {
      if (e instanceof ApiError) return fail(clock, e.code, e.message);
      throw e;
    }
  }

  // In a scope of its own, so that only this route's bodies go through the mapping reader.
  void app.register(async (scope) => {
    useJsonParser(scope, (bytes) => {
      const request = readMappingBytes(bytes);
      return request && new ReadMapping(request);
    });
    scope.post(
      MAPPING_PATH,
      {
        // Counted on arrival, before the body is parsed, so that a request refused for any reason (even
        // unparsable JSON or an oversized body) still shows in what the client sent.
        onRequest: (req, _reply, done) => {
          const value = accessTokenOf(req);
          const token = value === undefined ? undefined : state.tokens.get(value);
          stats.mappingReceived(token?.appId ?? UNKNOWN_APP, clock.now());
          done();
        },
      },
      handle,
    );
  });
}
