import { attributeReader } from '../profile-view.ts';
import { RenderBudget, renderJson, renderTemplate } from '../templates.ts';
import type { StepOf } from '../../core/canvas.ts';
import type { Profile } from '../../store/port.ts';
import type { WebhookRequest } from '../../store/webhook-port.ts';
import type { StepHandler } from './step.ts';

/**
 * Renders the request (templates within their caps: templates.ts) and parks the user at the step.
 * The runtime writes the request to the webhook outbox in the transaction that parks the user; the
 * webhook sender delivers it (timeout, retries) and moves the user on when the call ends, whatever
 * its outcome (a webhook never ends a journey). No HTTP here: a slow receiver delays nobody else.
 */
export const webhook: StepHandler<'webhook'> = {
  type: 'webhook',
  execute({ step, profile, entry }) {
    const request = renderWebhookRequest(step.config, profile, entry.context as Record<string, unknown> | null);
    return { kind: 'park', effects: [{ kind: 'webhook_request', request }] };
  },
};

/**
 * The request a webhook step sends for this profile, as the outbox stores it. Shared with the
 * editor's preview (api/routes/webhook-preview.ts), so the preview shows exactly what is sent.
 * Throws EntryDataError past the template caps. Pure.
 */
export function renderWebhookRequest(config: StepOf<'webhook'>['config'], profile: Profile, context: Record<string, unknown> | null): WebhookRequest {
  const read = attributeReader(profile);
  const { url = '', method, headers = {}, body, timeout_ms } = config;
  // One budget for the whole request: URL, headers and body together stay under the size cap.
  const budget = new RenderBudget();
  return {
    url: renderTemplate(url, read, context, budget),
    method,
    headers: { 'content-type': 'application/json', 'user-agent': 'Cohort-Webhook/1', ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, renderTemplate(v, read, context, budget)])) },
    body: method === 'GET' || body === undefined ? null : JSON.stringify(renderJson(body, read, context, budget)),
    timeoutMs: timeout_ms ?? null,
  };
}
