/**
 * One webhook attempt and what it came to (spec §9; today's policy, kept: up to 3 attempts for
 * network errors, timeouts, 429 and 5xx; any other answer is final). Pure but for the call itself.
 */
import { WEBHOOK_BLOCKED } from '../core/errors.ts';
import type { WebhookRequest } from '../store/webhook-port.ts';
import type { StepIO } from './steps/index.ts';

export interface AttemptResult {
  httpStatus: number | null;
  /** Null on success; else `HTTP <status>`, `timed out after <ms> ms`, `network error` or `webhook_blocked`. */
  error: string | null;
  /** A transient failure: worth another attempt if any is left. */
  transient: boolean;
}


/**
 * Makes the call with `timeoutMs`, enforced here too: a transport that ignores it cannot hold a
 * slot (and the users behind it) longer. Never throws.
 */
export async function attemptWebhook(http: StepIO['http'], request: WebhookRequest, timeoutMs: number): Promise<AttemptResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
  });
  try {
    const { status } = await Promise.race([http({ url: request.url, method: request.method, headers: request.headers, body: request.body ?? undefined, timeoutMs }), timeout]);
    return answerOf(status);
  } catch (error) {
    return failureOf(error, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

function answerOf(status: number): AttemptResult {
  if (status < 400) return { httpStatus: status, error: null, transient: false };
  return { httpStatus: status, error: `HTTP ${status}`, transient: status >= 500 || status === 429 };
}

function failureOf(error: unknown, timeoutMs: number): AttemptResult {
  // By code, not class: any transport may refuse a target (webhooks/guarded-http.ts throws WebhookBlockedError).
  if ((error as { code?: unknown } | null)?.code === WEBHOOK_BLOCKED) return { httpStatus: null, error: WEBHOOK_BLOCKED, transient: false };
  if (error instanceof Error && error.name === 'TimeoutError') return { httpStatus: null, error: `timed out after ${timeoutMs} ms`, transient: true };
  return { httpStatus: null, error: 'network error', transient: true };
}
