import { expect, it } from 'vitest';
import type { HttpRequest } from './steps/index.ts';
import { attemptWebhook } from './webhook-attempt.ts';

const request = { url: 'https://example.test/h', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: null };
const answering = (status: number) => async () => ({ status });
const throwing = (e: unknown) => async (): Promise<{ status: number }> => {
  throw e;
};

it('classifies answers: below 400 succeeds, 429 and 5xx are transient, any other 4xx is final', async () => {
  expect(await attemptWebhook(answering(204), request, 1_000)).toEqual({ httpStatus: 204, error: null, transient: false });
  expect(await attemptWebhook(answering(302), request, 1_000)).toEqual({ httpStatus: 302, error: null, transient: false });
  expect(await attemptWebhook(answering(404), request, 1_000)).toEqual({ httpStatus: 404, error: 'HTTP 404', transient: false });
  expect(await attemptWebhook(answering(429), request, 1_000)).toEqual({ httpStatus: 429, error: 'HTTP 429', transient: true });
  expect(await attemptWebhook(answering(503), request, 1_000)).toEqual({ httpStatus: 503, error: 'HTTP 503', transient: true });
});

it('classifies failures: a refused target is final (webhook_blocked); timeouts and network errors are transient', async () => {
  expect(await attemptWebhook(throwing(Object.assign(new Error('no'), { code: 'webhook_blocked' })), request, 1_000)).toEqual({ httpStatus: null, error: 'webhook_blocked', transient: false });
  expect(await attemptWebhook(throwing(new DOMException('aborted', 'TimeoutError')), request, 1_000)).toEqual({ httpStatus: null, error: 'timed out after 1000 ms', transient: true });
  expect(await attemptWebhook(throwing(new TypeError('fetch failed')), request, 1_000)).toEqual({ httpStatus: null, error: 'network error', transient: true });
  expect(await attemptWebhook(throwing('not even an Error'), request, 1_000)).toEqual({ httpStatus: null, error: 'network error', transient: true });
});

it('enforces the timeout itself when the transport ignores it, and passes the request as the transport takes it', async () => {
  const seen: HttpRequest[] = [];
  const started = Date.now();
  const r = await attemptWebhook((req) => (seen.push(req), new Promise(() => undefined)), { ...request, body: null }, 100);
  expect(r).toEqual({ httpStatus: null, error: 'timed out after 100 ms', transient: true });
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(seen).toEqual([{ url: request.url, method: 'POST', headers: request.headers, body: undefined, timeoutMs: 100 }]);
});
