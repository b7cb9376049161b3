import { WebhookBlockedError } from '../../core/errors.ts';
import { attributeReader } from '../profile-view.ts';
import { renderJson, renderTemplate } from '../templates.ts';
import type { StepHandler } from './step.ts';

const ATTEMPTS = 3;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Backoff between attempts: 0.5 s, then 2 s. */
const PAUSES_MS = [500, 2_000];

/**
 * Calls the URL with templates rendered, a timeout, and up to three attempts for network errors,
 * 429 and 5xx; a refused target (WebhookBlockedError, spec §9) is recorded as `webhook_blocked` at
 * once. The user proceeds either way (a webhook never blocks a journey); the outcome is recorded.
 */
export const webhook: StepHandler<'webhook'> = {
  type: 'webhook',
  async execute({ step, profile, entry }, io) {
    const read = attributeReader(profile);
    const context = entry.context as Record<string, unknown> | null;
    const { url = '', method, headers = {}, body, timeout_ms } = step.config;
    const request = {
      url: renderTemplate(url, read, context),
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'Cohort-Webhook/1', ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, renderTemplate(v, read, context)])) },
      body: method === 'GET' || body === undefined ? undefined : JSON.stringify(renderJson(body, read, context)),
      timeoutMs: timeout_ms ?? DEFAULT_TIMEOUT_MS,
    };
    let httpStatus: number | null = null;
    let error: string | null = null;
    let attempts = 0;
    while (attempts < ATTEMPTS) {
      attempts++;
      try {
        httpStatus = (await io.http(request)).status;
        error = httpStatus < 400 ? null : `HTTP ${httpStatus}`;
        if (httpStatus < 400 || (httpStatus < 500 && httpStatus !== 429)) break;
      } catch (e) {
        httpStatus = null;
        // A target spec §9 closes is final: another attempt reaches the same address.
        if (e instanceof WebhookBlockedError) {
          error = e.code;
          break;
        }
        error = e instanceof Error && e.name === 'TimeoutError' ? `timed out after ${request.timeoutMs} ms` : 'network error';
      }
      if (attempts < ATTEMPTS) await io.pause(PAUSES_MS[attempts - 1] ?? 2_000);
    }
    return { kind: 'advance', next: step.next, effects: [{ kind: 'webhook_delivery', ok: error === null, httpStatus, error, attempts }] };
  },
};
