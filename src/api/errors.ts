/**
 * One error handler for the whole API: Cohort errors map to a fitting 4xx with
 * `{"error":{"code","message"}}` (spec §4); bad JSON and oversized bodies are 400/413; anything
 * unexpected is a 500 with a generic message (and is logged without the body).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { CohortError, ConflictError, NotFoundError, UnprocessableError, UpstreamError, ValidationError } from '../core/errors.ts';

/** 401: no key, or a key that is not valid. */
export class UnauthorizedError extends CohortError {}
// 409 and 422 are raised by engine/ too, so they live in core/errors.ts; re-exported for api/ callers.
export { ConflictError, UnprocessableError };
/** 403: authenticated, but this session may not do this (role, CSRF proof, first-run setup closed). */
export class ForbiddenError extends CohortError {}
/** 429: too many attempts; `retryAfterSeconds` becomes the Retry-After header. */
export class TooManyRequestsError extends CohortError {
  constructor(code: string, message: string, readonly retryAfterSeconds: number) {
    super(code, message);
  }
}
/** 413: more objects than one request may carry. */
export class TooLargeError extends CohortError {}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A route whose body has a cap of its own (a canvas: 1 MB) sets its `bodyLimit` to it and says here
     * how to refuse a body over it: a 400 naming the cap, instead of the generic 413.
     */
    bodyTooLarge?: { code: string; message: string };
  }
}

export function statusOf(error: CohortError): number {
  if (error instanceof ValidationError) return 400;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof TooLargeError) return 413;
  if (error instanceof TooManyRequestsError) return 429;
  if (error instanceof UnprocessableError) return 422;
  if (error instanceof UpstreamError) return 502;
  return 400;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | CohortError, req, reply) => {
    if (error instanceof CohortError) {
      const body: { error: { code: string; message: string; reasons?: readonly string[] } } = { error: { code: error.code, message: error.message } };
      if (error instanceof UnprocessableError) body.error.reasons = error.reasons;
      if (error instanceof TooManyRequestsError) void reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(statusOf(error)).send(body);
    }
    const tooLarge = req.routeOptions.config?.bodyTooLarge;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && tooLarge) return reply.code(400).send({ error: tooLarge });
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err: { message: error.message, stack: error.stack }, method: req.method, url: req.routeOptions.url }, 'request failed');
      return reply.code(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side; the request was not completed.' } });
    }
    const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : error.validation ? 'invalid_request' : 'bad_request';
    return reply.code(status).send({ error: { code, message: error.message } });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));
}
